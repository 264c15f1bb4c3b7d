import ArgumentParser
import InfraEngine
import InfraKit

/// What plan and apply work on: paths, and what git says changed.
struct SelectionOptions: ParsableArguments {
  @Argument(
    help: "Resource files or folders to plan, or addresses as plans print them (default: all).")
  var paths: [String] = []

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
    GitScope(base: base ?? "HEAD", staged: staged, required: changed || staged || base != nil)
  }

  /// Whether the plan is limited to the change set.
  var changedOnly: Bool { changed || staged }

  /// What to plan in `workspace`; exits 1 naming every bad path.
  func selection(in workspace: Workspace, session: Session) throws -> PlanSelection {
    PlanSelection(only: try session.patterns(paths, in: workspace), changedOnly: changedOnly)
  }
}
