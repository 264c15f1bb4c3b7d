import ArgumentParser
import Foundation
import InfraCore
import InfraEngine

/// Options of every command that starts a run: plan, apply, pull, import, run and unlock.
struct RunOptions: ParsableArguments {
  @Option(help: "The most hosts to work on at once.")
  var parallelism = 10

  @Option(
    help: ArgumentHelp(
      "Write every event as a line of JSON to this file as it happens ('-' for standard output, which moves the human output to standard error).",
      valueName: "file"))
  var events: String?

  /// Whether results for people go to standard error, standard output carrying the events.
  var resultsOnStandardError: Bool { events == "-" }

  func validate() throws {
    guard parallelism >= 1 else { throw ValidationError("--parallelism must be at least 1") }
  }
}

/// `--timeout` of a run (`infra run` has its own, for the command).
struct TimeoutOption: ParsableArguments {
  @Option(
    help: ArgumentHelp(
      "End the run after this many seconds: what may be cut short stops, running ops finish (exit 124).",
      valueName: "seconds"))
  var timeout: Int?

  func validate() throws {
    if let timeout, timeout < 1 { throw ValidationError("--timeout must be at least 1 second") }
  }
}

extension Session {
  /// Runs `job` in `workspace` as `options` say, with the progress line on a terminal,
  /// `--events`, the run's artifacts (including what the person saw), and Ctrl-C or SIGTERM
  /// turned into a graceful cancel.
  func execute<Job: RunJob>(
    _ job: Job, in workspace: Workspace, options: RunOptions, timeout: Int? = nil,
    progress: ProgressReporter? = nil, interruptMessage: String? = nil,
    onEvents: (@Sendable ([RunEvent]) -> Void)? = nil
  ) async throws -> RunResult<Job.Output> {
    let stream: EventStream?
    do {
      stream = try options.events.map(EventStream.init)
    } catch {
      report([
        .error(
          "cannot write events to \(options.events ?? "")", hint: "check that the folder exists")
      ])
      throw ExitCode.failure
    }
    let progress = progress ?? ProgressReporter(console: console)
    let runsFolder = repository.runsURL
    var settings = RunSettings(
      parallelism: options.parallelism, timeout: timeout.map { .seconds($0) },
      artifacts: RunArtifacts.Settings(
        root: runsFolder, keep: workspace.config.keepRuns,
        command: ["infra"] + Array(CommandLine.arguments.dropFirst())))
    // Every event is written as it comes (artifacts, `--events`): none is needed after.
    settings.keepsResourceEvents = false
    let run: Run<Job>
    do {
      try repository.prepareStateFolder()
      run = try Run(
        job, in: workspace, settings: settings,
        onEvents: { records in
          stream?.write(records)
          for record in records { progress.handle(record.event) }
          onEvents?(records.map(\.event))
        })
    } catch {
      report([
        .error(
          "cannot create the run's folder under \(repository.relativePath(of: runsFolder)): \(error.localizedDescription)",
          hint: "infra keeps each run's events and plan there; make the folder writable")
      ])
      throw ExitCode.failure
    }
    report(run.notices)
    if let artifacts = run.artifacts {
      console.record(to: { artifacts.appendOutput($0) })
    }
    if let interruptMessage {
      Interrupts.cancelOnSignal(console: console, message: interruptMessage) { run.cancel() }
    } else {
      Interrupts.cancelOnSignal(console: console) { run.cancel() }
    }
    progress.start()
    let result = await run.start()
    progress.stop()
    return result
  }

  /// Ends a command after a run: 130 canceled, 124 timed out, 1 failed, otherwise 0 (or 2 for
  /// `--detailed-exitcode` with changes).
  func finish(_ result: RunResult<some Sendable>, changes: Bool = false) throws {
    switch result.status {
    case .canceled, .timeout, .failed: throw ExitCode(result.rc)
    default:
      if changes { throw ExitCode(2) }
    }
  }
}
