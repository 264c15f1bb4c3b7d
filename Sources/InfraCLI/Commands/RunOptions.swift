import ArgumentParser
import Foundation
import InfraConnectors
import InfraCore
import InfraEngine
import InfraTransport

/// Options of the commands that start a run (plan and apply).
struct RunOptions: ParsableArguments {
  @Argument(
    help: "Resource files or folders to plan, or addresses as plans print them (default: all).")
  var paths: [String] = []

  @Option(help: "The most hosts to work on at once.")
  var parallelism = 10

  @Option(
    help: ArgumentHelp(
      "End the run after this many seconds: nothing new starts, running ops finish (exit 124).",
      valueName: "seconds"))
  var timeout: Int?

  @Option(
    help: ArgumentHelp(
      "Write every event as a line of JSON to this file as it happens ('-' for standard output, which moves the human output to standard error).",
      valueName: "file"))
  var events: String?

  @Flag(
    help:
      "Plan only the resource files git shows changed since --base (staged or not, untracked included) and the deletions."
  )
  var changed = false

  @Option(
    help: ArgumentHelp(
      "The commit, branch or tag that --changed compares with, and that deletions are planned against (default HEAD).",
      valueName: "ref"))
  var base: String?

  @Flag(help: "Like --changed, comparing only the index (what is staged) with --base.")
  var staged = false

  /// How the workspace is compared with git: deletions are always planned against the base;
  /// with --changed, --staged or --base, git is required.
  var gitScope: GitScope {
    GitScope(
      base: base ?? "HEAD", staged: staged, required: changed || staged || base != nil)
  }

  /// Whether the plan is limited to the change set.
  var changedOnly: Bool { changed || staged }

  func validate() throws {
    guard parallelism >= 1 else { throw ValidationError("--parallelism must be at least 1") }
    if let timeout, timeout < 1 { throw ValidationError("--timeout must be at least 1 second") }
  }
}

extension Session {
  /// Runs a plan or apply of `workspace` as `options` say, with the progress line on a
  /// terminal, `--events`, the run's artifacts (including what the person saw), and Ctrl-C
  /// turned into a graceful cancel.
  func execute(
    _ kind: RunKind, _ workspace: Workspace, options: RunOptions,
    onEvent: (@Sendable (RunEvent) -> Void)? = nil,
    approve: (@Sendable (_ plan: Plan, _ progress: ProgressReporter) async -> Bool)? = nil,
    locking: LockSettings? = LockSettings(), savedPlan: SavedPlan? = nil
  ) async throws -> RunResult {
    let patterns = savedPlan == nil ? try patterns(options.paths, in: workspace) : []
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
    let progress = ProgressReporter(console: console)
    let runsFolder = repository.stateURL.appending(path: "runs")
    let timeout: Duration? = options.timeout.map { Duration.seconds($0) }
    let artifacts = RunArtifacts.Settings(
      root: runsFolder, keep: workspace.config.keepRuns,
      command: ["infra"] + Array(CommandLine.arguments.dropFirst()))
    var approval: (@Sendable (Plan) async -> Bool)?
    if let approve {
      approval = { plan in await approve(plan, progress) }
    }
    let request = RunRequest(
      kind: kind, workspace: workspace,
      transports: RepositoryTransports(config: workspace.config, repository: repository),
      only: patterns,
      changedOnly: options.changedOnly, parallelism: options.parallelism, timeout: timeout,
      artifacts: artifacts, approve: approval, locking: locking, savedPlan: savedPlan)
    let run: Run
    do {
      try repository.prepareStateFolder()
      run = try Run(
        request,
        onEvent: { record in
          stream?.write(record)
          progress.handle(record.event)
          onEvent?(record.event)
        })
    } catch {
      report([
        .error(
          "cannot create the run's folder under \(repository.relativePath(of: runsFolder)): \(error.localizedDescription)",
          hint: "infra keeps each run's events and plan there; make the folder writable")
      ])
      throw ExitCode.failure
    }
    if let artifacts = run.artifacts {
      console.record(to: { artifacts.appendOutput($0) })
    }
    Interrupts.cancelOnSignal(run, console: console)
    progress.start()
    let result = await run.start()
    progress.stop()
    return result
  }

  /// Ends a command after a run: 130 canceled, 124 timed out, 1 failed, otherwise 0 (or 2 for
  /// `--detailed-exitcode` with changes).
  func finish(_ result: RunResult, changesExitCode: Bool = false) throws {
    if let code = Interrupts.exitCode, result.status != .successful { throw ExitCode(code) }
    switch result.status {
    case .canceled, .timeout, .failed: throw ExitCode(result.rc)
    default:
      if changesExitCode && result.plan.hasChanges { throw ExitCode(2) }
    }
  }
}
