import ArgumentParser
import Foundation
import InfraEngine
import InfraKit
import Synchronization

struct ApplyCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "apply",
    abstract: "Plan, ask for confirmation, and make the hosts match the repository.",
    discussion: """
      On a terminal, apply shows the plan and asks before changing anything. Without a \
      terminal it refuses to run unless --yes is given. `infra apply FILE` applies a plan saved \
      by `infra plan --out FILE` without asking, after checking that neither the resource files \
      nor the hosts moved since. Each host is locked for the whole apply. Ctrl-C (or SIGTERM, \
      SIGHUP) lets the changes already running finish, starts no new one, and exits 130. Exit codes: 0 success, 1 error, \
      124 timed out, 130 canceled.
      """)

  @OptionGroup var global: GlobalOptions
  @OptionGroup var selection: SelectionOptions
  @OptionGroup var options: RunOptions
  @OptionGroup var timeout: TimeoutOption

  @Flag(name: [.short, .long], help: "Apply without asking for confirmation.")
  var yes = false

  @Option(
    help: ArgumentHelp(
      "Wait this long for a host another apply has locked (default: stop at once).",
      valueName: "seconds"))
  var lockTimeout = 0

  func validate() throws {
    if lockTimeout < 0 { throw ValidationError("--lock-timeout cannot be negative") }
  }

  var locking: LockSettings { LockSettings(wait: .seconds(lockTimeout)) }

  func run() async throws {
    let session = try Session(global, resultsOnStandardError: options.resultsOnStandardError)
    if let file = savedPlanFile(in: session) {
      try await applySaved(file, session: session)
      return
    }
    let console = session.console
    guard yes || console.isInteractive else {
      session.report([
        .error(
          "infra apply asks for confirmation, but standard input is not a terminal",
          hint: "review the changes with `infra plan`, then run `infra apply --yes`")
      ])
      throw ExitCode.failure
    }
    let workspace = try await session.loadWorkspace(
      git: selection.gitScope, connecting: selection.limit.selects,
      parallelism: options.parallelism)
    let style = console.styler
    let planShown = Atomic(false)
    let yes = yes
    let progress = ProgressReporter(console: console)
    let job = ApplyJob(
      try selection.selection(in: workspace, session: session),
      approve: { plan in
        planShown.store(true, ordering: .relaxed)
        if yes {
          // Shown while the first changes go: the lines about them wait until it is.
          console.streamAside { sink in
            PlanRenderer(style: style).render(plan, to: sink)
            sink("\n" + style("Applying:", .bold) + "\n")
          }
          return true
        }
        progress.stop()
        defer { progress.start() }
        console.stream { PlanRenderer(style: style).render(plan, to: $0) }
        let answer = console.ask(
          "\n" + style("Apply these changes?", .bold) + " Only 'yes' is accepted: ")
        guard answer?.trimmingCharacters(in: .whitespaces) == "yes" else {
          console.error("Apply cancelled; nothing was changed.\n")
          return false
        }
        console.out("\n" + style("Applying:", .bold) + "\n")
        return true
      }, locking: locking)
    let result = try await session.execute(
      job, in: workspace, options: options, timeout: timeout.timeout, progress: progress,
      onEvents: progressLines(console))
    console.waitForOutput()
    if !planShown.load(ordering: .relaxed) {
      console.stream { PlanRenderer(style: style).render(result.output.plan, to: $0) }
    }
    if let applied = result.output.applied {
      console.out("\n" + ApplyRenderer(style: style).render(applied, status: result.status))
    }
    console.out(RunRenderer(style: style).stopped(result))
    session.report(result.output.lockWarnings)
    await workspace.close()
    try session.finish(result)
  }

  /// A line for each op as it finishes; the lines of events that came together, written
  /// together.
  private func progressLines(_ console: Console) -> @Sendable ([RunEvent]) -> Void {
    let renderer = ApplyRenderer(style: console.styler)
    return { events in
      console.out(events.compactMap(renderer.progressLine).joined())
    }
  }

  /// The saved plan named on the command line: the one argument, when it is a file outside
  /// `resources/` (a resource file is never a plan).
  private func savedPlanFile(in session: Session) -> URL? {
    guard selection.paths.count == 1 else { return nil }
    let url = URL(fileURLWithPath: selection.paths[0], relativeTo: session.directory)
      .standardizedFileURL
    var isFolder: ObjCBool = false
    guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder),
      !isFolder.boolValue,
      !url.path.hasPrefix(session.repository.resourcesURL.path + "/")
    else { return nil }
    return url
  }

  /// Applies a saved plan exactly, or nothing of it when anything it was planned against moved.
  private func applySaved(_ url: URL, session: Session) async throws {
    let console = session.console
    let style = console.styler
    let name = selection.paths[0]
    let saved: SavedPlan
    do {
      let data = try BoundedRead.contents(of: url, path: name, limit: SavedPlan.maxBytes).get()
      saved = try SavedPlan.decode(data)
    } catch let error as SavedPlanError {
      session.report([.error("cannot apply \(name): \(error.message)", hint: error.hint)])
      throw ExitCode.failure
    } catch let diagnostic as Diagnostic {
      session.report([diagnostic])
      throw ExitCode.failure
    }
    if selection.changedOnly || selection.base != nil || !selection.limit.hosts.isEmpty {
      session.report([
        .error(
          "a saved plan is applied as it was planned, so --changed, --staged, --base and --limit do not apply",
          hint: "leave them out, or plan again with them")
      ])
      throw ExitCode(64)
    }
    let base = saved.repository.baseCommit
    let workspace = try await session.loadWorkspace(
      git: GitScope(base: base ?? "HEAD", staged: false, required: base != nil))
    guard saved.plan.hasChanges else {
      console.out(style("No changes:", .bold, .green) + " the saved plan changes nothing.\n")
      return
    }
    let commit = saved.repository.commit.map { " at commit \($0.prefix(12))" } ?? ""
    let limit = saved.repository.limit.map { ", limited to \($0.joined(separator: ", "))" } ?? ""
    console.out(
      style("Applying the plan saved in \(name)", .bold)
        + " (made\(commit), \(saved.createdAt)\(limit)):\n\n")
    console.stream { PlanRenderer(style: style).render(saved.plan, to: $0) }
    let result = try await session.execute(
      SavedApplyJob(saved, locking: locking), in: workspace, options: options,
      timeout: timeout.timeout, onEvents: progressLines(console))
    let plan = result.output.plan
    if plan.hasFailures {
      let stale = plan.failures.contains { $0.kind == .stale }
      console.out(
        "\n"
          + PlanRenderer(style: style).renderFailures(
            plan.failures, heading: "Nothing was applied:"))
      if stale {
        console.out(
          "\nThe saved plan is stale. Review and save a new one with `infra plan --out \(name)`.\n")
      }
    }
    if let applied = result.output.applied {
      console.out("\n" + ApplyRenderer(style: style).render(applied, status: result.status))
    }
    console.out(RunRenderer(style: style).stopped(result))
    session.report(result.output.lockWarnings)
    await workspace.close()
    try session.finish(result)
  }
}
