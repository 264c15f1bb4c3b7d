import ArgumentParser
import InfraEngine

struct PlanCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "plan",
    abstract: "Read live state, compare it with the repository, and show what apply would change.",
    discussion: """
      Exit codes: 0 success, 1 error, 124 timed out, 130 canceled. With --detailed-exitcode, \
      2 when there are changes. Every run keeps its events and plan in .infra/runs/<run-id>/.
      """)

  @OptionGroup var global: GlobalOptions
  @OptionGroup var options: RunOptions

  @Flag(help: "Print the plan as versioned JSON on standard output.")
  var json = false

  @Flag(help: "Exit 2 when the plan has changes (0 when none, 1 on error).")
  var detailedExitcode = false

  func validate() throws {
    if json && options.events == "-" {
      throw ValidationError("--json and --events - both want standard output; give --events a file")
    }
  }

  func run() async throws {
    let session = try Session(global, resultsOnStandardError: options.events == "-")
    let workspace = try await session.loadWorkspace()
    let result = try await session.execute(.plan, workspace, options: options)
    if json {
      session.console.stream { PlanDocument(result.plan).write(to: $0) }
    } else {
      session.console.stream {
        PlanRenderer(style: session.console.styler).render(result.plan, to: $0)
      }
      session.console.out(RunRenderer(style: session.console.styler).stopped(result))
    }
    try session.finish(result, changesExitCode: detailedExitcode)
  }
}
