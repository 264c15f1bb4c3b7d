import ArgumentParser
import Foundation
import InfraCore
import InfraEngine

struct ShowCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "show",
    abstract: "Show a plan saved by `infra plan --out FILE`, or a past run.",
    discussion: """
      As text (the default), as the versioned JSON of `infra plan --json`, or as Markdown \
      ready to post as a pull-request comment. A run's own .infra/runs/<run-id>/plan.json is \
      shown the same way.
      """)

  @OptionGroup var global: GlobalOptions

  @Argument(help: "The saved plan, a run's plan.json, or the id of a past run (`infra runs`).")
  var file: String

  @Flag(help: "Print the plan as versioned JSON.")
  var json = false

  @Flag(help: "Print the plan as Markdown for a pull-request comment.")
  var markdown = false

  @Option(
    help: ArgumentHelp(
      "With --markdown, the longest comment to make (default 65536, GitHub's limit): the summary and table stay whole, diffs that do not fit are cut with a note.",
      valueName: "n"))
  var maxChars = MarkdownPlanRenderer.gitHubLimit

  func validate() throws {
    if json && markdown { throw ValidationError("choose one of --json and --markdown") }
    if maxChars < 2_000 {
      throw ValidationError("--max-chars must be at least 2000, room for a summary and a note")
    }
  }

  func run() async throws {
    let console = Console(color: global.color)
    if try showRun(console) { return }
    func fail(_ diagnostic: Diagnostic) -> ExitCode {
      console.error(DiagnosticRenderer(style: console.errorStyler).render(diagnostic))
      return ExitCode.failure
    }
    let data: Data
    switch BoundedRead.contents(
      of: URL(fileURLWithPath: file), path: file, limit: SavedPlan.maxBytes)
    {
    case .success(let read): data = read
    case .failure(let diagnostic): throw fail(diagnostic)
    }
    let saved: SavedPlan?
    let plan: Plan
    do {
      let read = try SavedPlan.decode(data)
      (saved, plan) = (read, read.plan)
    } catch let error as SavedPlanError {
      // A run's own plan.json is the same plan document, without what a saved plan adds.
      guard error.isOtherFile, let document = try? PlanDocument.decode(data),
        let read = try? document.plan()
      else {
        let other = error.isOtherFile ? ", nor the plan.json of a run" : ""
        throw fail(.error("cannot show \(file): \(error.message)\(other)", hint: error.hint))
      }
      (saved, plan) = (nil, read)
    }
    if json {
      console.stream { PlanDocument(plan).write(to: $0) }
    } else if markdown {
      console.out(MarkdownPlanRenderer(maxCharacters: maxChars).render(plan, saved: saved))
    } else {
      console.stream { PlanRenderer(style: console.styler).render(plan, to: $0) }
    }
  }
}
