import ArgumentParser
import InfraEngine
import InfraTransport

struct PlanCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "plan",
    abstract: "Read live state, compare it with the repository, and show what apply would change.",
    discussion: """
      Exit codes: 0 success, 1 error. With --detailed-exitcode: 0 no changes, 1 error, \
      2 changes present.
      """)

  @OptionGroup var global: GlobalOptions
  @OptionGroup var planning: PlanningOptions

  @Flag(help: "Print the plan as versioned JSON on standard output.")
  var json = false

  @Flag(help: "Exit 2 when the plan has changes (0 when none, 1 on error).")
  var detailedExitcode = false

  func run() async throws {
    let session = try Session(global)
    let workspace = try await session.loadWorkspace()
    let patterns = try session.patterns(planning.paths, in: workspace)
    let connections = HostConnections(provider: StandardTransports())
    Interrupts.closeOnSignal(connections)
    let plan = await Planner(workspace: workspace, connections: connections)
      .plan(PlanOptions(only: patterns, parallelism: planning.parallelism))
    await connections.closeAll()

    if json {
      session.console.out(String(decoding: try PlanDocument(plan).encoded(), as: UTF8.self))
    } else {
      session.console.out(PlanRenderer(style: session.console.styler).render(plan))
    }
    try session.finish(failed: plan.hasFailures)
    if detailedExitcode && plan.hasChanges { throw ExitCode(2) }
  }
}
