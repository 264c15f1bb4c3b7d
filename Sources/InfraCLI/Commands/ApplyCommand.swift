import ArgumentParser
import Foundation
import InfraEngine
import Synchronization

struct ApplyCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "apply",
    abstract: "Plan, ask for confirmation, and make the hosts match the repository.",
    discussion: """
      On a terminal, apply shows the plan and asks before changing anything. Without a \
      terminal it refuses to run unless --yes is given. Ctrl-C lets the changes already \
      running finish, starts no new one, and exits 130. Exit codes: 0 success, 1 error, \
      124 timed out, 130 canceled.
      """)

  @OptionGroup var global: GlobalOptions
  @OptionGroup var options: RunOptions

  @Flag(name: [.short, .long], help: "Apply without asking for confirmation.")
  var yes = false

  func run() async throws {
    let session = try Session(global, resultsOnStandardError: options.events == "-")
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
    let style = console.styler
    let renderer = ApplyRenderer(style: style)
    let planShown = Atomic(false)
    let yes = yes
    let result = try await session.execute(
      .apply, workspace, options: options,
      onEvent: { event in
        if let line = renderer.progressLine(event) { console.out(line) }
      },
      approve: { plan, progress in
        progress.stop()
        defer { progress.start() }
        console.stream { PlanRenderer(style: style).render(plan, to: $0) }
        planShown.store(true, ordering: .relaxed)
        if !yes {
          let answer = console.ask(
            "\n" + style("Apply these changes?", .bold) + " Only 'yes' is accepted: ")
          guard answer?.trimmingCharacters(in: .whitespaces) == "yes" else {
            console.error("Apply cancelled; nothing was changed.\n")
            return false
          }
        }
        console.out("\n" + style("Applying:", .bold) + "\n")
        return true
      })
    if !planShown.load(ordering: .relaxed) {
      console.stream { PlanRenderer(style: style).render(result.plan, to: $0) }
    }
    if let applied = result.apply {
      console.out("\n" + renderer.render(applied, status: result.status))
    }
    console.out(RunRenderer(style: style).stopped(result))
    try session.finish(result)
  }
}
