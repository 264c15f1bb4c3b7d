import ArgumentParser
import Foundation
import InfraEngine

struct ShowCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "show",
    abstract: "Show a plan saved by `infra plan --out FILE`.",
    discussion: """
      As text (the default), as the versioned JSON of `infra plan --json`, or as Markdown \
      ready to post as a pull-request comment.
      """)

  @OptionGroup var global: GlobalOptions

  @Argument(help: "The saved plan.")
  var file: String

  @Flag(help: "Print the plan as versioned JSON.")
  var json = false

  @Flag(help: "Print the plan as Markdown for a pull-request comment.")
  var markdown = false

  func validate() throws {
    if json && markdown { throw ValidationError("choose one of --json and --markdown") }
  }

  func run() async throws {
    let console = Console(color: global.color)
    let saved: SavedPlan
    do {
      saved = try SavedPlan.decode(try Data(contentsOf: URL(fileURLWithPath: file)))
    } catch let error as SavedPlanError {
      console.error(
        DiagnosticRenderer(style: console.errorStyler).render(
          .error("cannot show \(file): \(error.message)", hint: error.hint)))
      throw ExitCode.failure
    } catch {
      console.error(
        DiagnosticRenderer(style: console.errorStyler).render(
          .error("cannot read \(file): \(error.localizedDescription)")))
      throw ExitCode.failure
    }
    if json {
      console.stream { PlanDocument(saved.plan).write(to: $0) }
    } else if markdown {
      console.out(MarkdownPlanRenderer().render(saved))
    } else {
      console.stream { PlanRenderer(style: console.styler).render(saved.plan, to: $0) }
    }
  }
}
