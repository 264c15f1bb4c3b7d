import ArgumentParser
import Foundation
import InfraEngine
import InfraKit

struct PlanCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "plan",
    abstract: "Read live state, compare it with the repository, and show what apply would change.",
    discussion: """
      Exit codes: 0 success, 1 error, 124 timed out, 130 canceled. With --detailed-exitcode, \
      2 when there are changes. Every run keeps its events and plan in .infra/runs/<run-id>/.
      """)

  @OptionGroup var global: GlobalOptions
  @OptionGroup var selection: SelectionOptions
  @OptionGroup var options: RunOptions
  @OptionGroup var timeout: TimeoutOption

  @Flag(help: "Print the plan as versioned JSON on standard output.")
  var json = false

  @Flag(help: "Exit 2 when the plan has changes (0 when none, 1 on error).")
  var detailedExitcode = false

  @Option(
    help: ArgumentHelp(
      "Save the plan to this file, for `infra apply FILE` (which checks nothing moved since) and `infra show FILE`.",
      valueName: "file"))
  var out: String?

  func validate() throws {
    if json && options.events == "-" {
      throw ValidationError("--json and --events - both want standard output; give --events a file")
    }
  }

  func run() async throws {
    let session = try Session(global, resultsOnStandardError: options.resultsOnStandardError)
    let workspace = try await session.loadWorkspace(
      git: selection.gitScope, connecting: selection.limit.selects,
      parallelism: options.parallelism)
    if selection.changedOnly, !json, let changes = workspace.changes {
      session.console.out(PlanRenderer(style: session.console.styler).changeSetLine(changes))
    }
    let result = try await session.execute(
      PlanJob(try selection.selection(in: workspace, session: session)), in: workspace,
      options: options, timeout: timeout.timeout, interruptMessage: Interrupts.closing)
    let plan = result.output
    if json {
      session.console.stream { PlanDocument(plan).write(to: $0) }
    } else {
      session.console.stream { PlanRenderer(style: session.console.styler).render(plan, to: $0) }
      session.console.out(RunRenderer(style: session.console.styler).stopped(result))
    }
    if let out {
      try await save(result, of: workspace, to: out, session: session)
    }
    await workspace.close()
    try session.finish(result, changes: detailedExitcode && plan.hasChanges)
  }

  /// Writes the saved plan; a plan that could not read everything is not saved.
  private func save(
    _ result: RunResult<Plan>, of workspace: Workspace, to path: String, session: Session
  ) async throws {
    guard result.status == .successful else {
      session.report([
        .error(
          "the plan was not saved to \(path): it is \(result.status.rawValue)",
          hint: "a saved plan must cover everything it was asked to; fix what failed and plan again"
        )
      ])
      return
    }
    var state = SavedPlan.RepositoryState(
      commit: nil, dirty: false, base: workspace.changes?.base,
      baseCommit: workspace.changes?.baseCommit, changedOnly: selection.changedOnly,
      limit: selection.limit.names.isEmpty ? nil : selection.limit.names)
    if let git = try? await Git.open(session.repository), let head = try? await git.head() {
      state.commit = head.commit
      state.dirty = head.dirty
    }
    let saved = SavedPlan(
      plan: result.output, runID: result.id, root: workspace.repository, repository: state)
    let url = URL(fileURLWithPath: path, relativeTo: session.directory)
    do {
      try PrivateFiles.replace(url, with: try saved.encoded())
    } catch let error as SavedPlanError {
      session.report([.error("cannot save the plan to \(path): \(error.message)", hint: error.hint)]
      )
      throw ExitCode.failure
    } catch {
      session.report([
        .error(
          "cannot save the plan to \(path): \(error.localizedDescription)",
          hint: "check that the folder exists and is writable")
      ])
      throw ExitCode.failure
    }
    session.console.error(
      "Saved the plan to \(path); apply exactly it with `infra apply \(path)`.\n")
  }
}
