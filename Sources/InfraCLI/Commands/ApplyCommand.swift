import ArgumentParser
import Foundation
import InfraEngine
import InfraTransport

struct ApplyCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "apply",
    abstract: "Plan, ask for confirmation, and make the hosts match the repository.",
    discussion: """
      On a terminal, apply shows the plan and asks before changing anything. Without a \
      terminal it refuses to run unless --yes is given. Exit codes: 0 success, 1 error.
      """)

  @OptionGroup var global: GlobalOptions
  @OptionGroup var planning: PlanningOptions

  @Flag(name: [.short, .long], help: "Apply without asking for confirmation.")
  var yes = false

  func run() async throws {
    let session = try Session(global)
    let console = session.console
    guard yes || console.isInteractive else {
      session.report([
        .error(
          "infra apply asks for confirmation, but standard input is not a terminal",
          hint: "review the changes with `infra plan`, then run `infra apply --yes`")
      ])
      throw ExitCode.failure
    }
    let workspace = try await session.loadWorkspace()
    let patterns = try session.patterns(planning.paths, in: workspace)
    let connections = HostConnections(provider: StandardTransports())
    Interrupts.closeOnSignal(connections)
    let plan = await Planner(workspace: workspace, connections: connections)
      .plan(PlanOptions(only: patterns, parallelism: planning.parallelism))
    let planRenderer = PlanRenderer(style: console.styler)
    console.out(planRenderer.render(plan))

    guard plan.hasChanges else {
      await connections.closeAll()
      try session.finish(failed: plan.hasFailures)
      return
    }
    if !yes {
      let answer = console.ask(
        "\n" + console.styler("Apply these changes?", .bold)
          + " Only 'yes' is accepted: ")
      guard answer?.trimmingCharacters(in: .whitespaces) == "yes" else {
        await connections.closeAll()
        console.error("Apply cancelled; nothing was changed.\n")
        throw ExitCode.failure
      }
    }

    console.out("\n" + console.styler("Applying:", .bold) + "\n")
    let renderer = ApplyRenderer(style: console.styler)
    let result = await Applier(
      workspace: workspace, connections: connections,
      events: { event in
        if let line = renderer.progressLine(event) { console.out(line) }
      }
    ).apply(plan, parallelism: planning.parallelism)
    await connections.closeAll()
    console.out("\n" + renderer.render(result))
    try session.finish(failed: !result.succeeded)
  }
}
