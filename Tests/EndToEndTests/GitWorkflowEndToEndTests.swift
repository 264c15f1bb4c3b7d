import Foundation
import InfraTestSupport
import InfraTransport
import Testing

/// The git-reviewed workflow with the built binary in real temporary git repositories: change
/// sets, deletions only where git deleted, saved plans and their staleness checks.
@Suite struct GitWorkflowEndToEndTests {
  let repo: TestRepository
  var root: URL { repo.root.url }
  var target: String { repo.target.path }

  init() throws {
    repo = try TestRepository("git")
    try repo.writeConfig()
    try git("init", "-q", "-b", "main")
    try git("config", "user.email", "test@example.com")
    try git("config", "user.name", "Test")
    try git("config", "commit.gpgsign", "false")
  }

  /// Runs git in the repository; a failure fails the test with git's own words.
  @discardableResult
  func git(_ arguments: String...) throws -> String {
    let scratch = try TemporaryFolder("git")
    let out = scratch.appending("out").path
    let err = scratch.appending("err").path
    let code = try ChildProcess.run(
      "/usr/bin/git", ["-C", root.path] + arguments, stdout: out, stderr: err)
    let output = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
    let errors = (try? String(contentsOfFile: err, encoding: .utf8)) ?? ""
    guard code == 0 else {
      throw ChildProcessError(message: "git \(arguments.joined(separator: " ")): \(errors)")
    }
    return output
  }

  func commitAll(_ message: String) throws {
    try git("add", "-A")
    try git("commit", "-q", "-m", message)
  }

  /// The plan's changes as `action address` lines, from `infra plan --json`.
  func changes(_ arguments: [String]) async throws -> [String] {
    let run = try await Infra.run(["plan", "--json"] + arguments, in: root)
    #expect(run.code == 0, "\(run)")
    let document = try #require(
      try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
    let entries = try #require(document["changes"] as? [[String: Any]])
    return entries.map { "\($0["action"] ?? "?") \($0["prefix"] ?? "?")/\($0["address"] ?? "?")" }
  }

  /// Four files committed and applied: the starting point of most tests.
  func committedAndApplied() async throws {
    for name in ["keep", "edit", "gone", "moved"] {
      try repo.resource("local/etc/\(name)", "\(name) v1\n")
    }
    try commitAll("four files")
    let apply = try await Infra.run(["apply", "--yes"], in: root)
    #expect(apply.code == 0, "\(apply)")
  }

  @Test func aChangeSetWithModifyAddDeleteAndRename() async throws {
    try await committedAndApplied()
    try repo.resource("local/etc/edit", "edit v2\n")
    try repo.resource("local/etc/new", "new\n")  // untracked
    try git("rm", "-q", "resources/test/files/local/etc/gone")
    try git("mv", "resources/test/files/local/etc/moved", "resources/test/files/local/etc/renamed")

    await #expect(
      try changes(["--changed"]) == [
        "update test/files/local/etc/edit", "delete test/files/local/etc/gone",
        "delete test/files/local/etc/moved", "create test/files/local/etc/new",
        "create test/files/local/etc/renamed",
      ])
    let text = try await Infra.run(["plan", "--changed"], in: root)
    #expect(text.stdout.contains("Change set since HEAD ("), "\(text)")
    #expect(text.stdout.contains("3 files changed, 2 deleted."))
    #expect(
      text.stdout.contains(
        "delete \(target)/etc/gone: resources/test/files/local/etc/gone was deleted in git"))
    #expect(text.stdout.contains("Plan: 2 to create, 1 to update, 2 to delete, 0 unchanged."))

    let apply = try await Infra.run(["apply", "--yes", "--changed"], in: root)
    #expect(apply.code == 0, "\(apply)")
    #expect(repo.target.files() == ["etc/edit", "etc/keep", "etc/new", "etc/renamed"])
    #expect(try repo.target.readText("etc/edit") == "edit v2\n")
    #expect(try await Infra.run(["plan", "--detailed-exitcode"], in: root).code == 0)
  }

  @Test func aRenameThatKeepsTheHostPathIsAnUpdate() async throws {
    try await committedAndApplied()
    // From the host's own folder into its group's: the same file on the same host.
    try FileManager.default.createDirectory(
      at: root.appending(path: "resources/test/files/@web/etc"), withIntermediateDirectories: true)
    try git("mv", "resources/test/files/local/etc/edit", "resources/test/files/@web/etc/edit")
    try repo.resource("@web/etc/edit", "edit from the group\n")
    await #expect(try changes(["--changed"]) == ["update test/files/@web/etc/edit"])
  }

  @Test func theBaseCanBeABranch() async throws {
    try await committedAndApplied()
    try git("checkout", "-q", "-b", "feature")
    try repo.resource("local/etc/edit", "edit on the branch\n")
    try git("rm", "-q", "resources/test/files/local/etc/gone")
    try commitAll("feature work")
    // Against HEAD nothing changed; against main the branch's commits are the change set.
    await #expect(try changes(["--changed"]) == [])
    await #expect(
      try changes(["--changed", "--base", "main"]) == [
        "update test/files/local/etc/edit", "delete test/files/local/etc/gone",
      ])
    // Without --changed the whole repository is planned, deletions still against the base.
    await #expect(
      try changes(["--base", "main"]) == [
        "update test/files/local/etc/edit", "delete test/files/local/etc/gone",
      ])
    let unknown = try await Infra.run(["plan", "--changed", "--base", "nosuch"], in: root)
    #expect(unknown.code == 1)
    #expect(unknown.stderr.contains("git knows no commit named 'nosuch'"), "\(unknown)")
  }

  @Test func stagedOnlyPlansTheIndex() async throws {
    try await committedAndApplied()
    try repo.resource("local/etc/edit", "staged\n")
    try git("add", "resources/test/files/local/etc/edit")
    try repo.resource("local/etc/keep", "not staged\n")
    try repo.resource("local/etc/untracked", "not staged either\n")
    await #expect(try changes(["--staged"]) == ["update test/files/local/etc/edit"])
    await #expect(
      try changes(["--changed"]) == [
        "update test/files/local/etc/edit", "update test/files/local/etc/keep",
        "create test/files/local/etc/untracked",
      ])

    // A staged file with more changes in the work tree would plan unstaged content: refused.
    try repo.resource("local/etc/edit", "staged, then edited again\n")
    let mixed = try await Infra.run(["plan", "--staged"], in: root)
    #expect(mixed.code == 1, "\(mixed)")
    #expect(
      mixed.stderr.contains(
        "--staged plans what is staged, but these files also have unstaged changes: resources/test/files/local/etc/edit"
      ))
  }

  @Test func aPlanNeverDeletesWhatGitDidNotDelete() async throws {
    try await committedAndApplied()
    // On the host but never in the repository; in the repository but never committed, then
    // removed; deleted and committed (so the base no longer has it): none is deleted.
    try repo.target.write("etc/by-hand", "made by hand\n")
    try repo.resource("local/etc/scratch", "scratch\n")
    try FileManager.default.removeItem(
      at: root.appending(path: "resources/test/files/local/etc/scratch"))
    try git("rm", "-q", "resources/test/files/local/etc/gone")
    try commitAll("gone for good")
    let plan = try await Infra.run(["plan", "--detailed-exitcode"], in: root)
    #expect(plan.code == 0, "\(plan)")
    #expect(plan.stdout.contains("Plan: 0 to create, 0 to update, 0 to delete, 3 unchanged."))
    #expect(
      repo.target.files() == ["etc/by-hand", "etc/edit", "etc/gone", "etc/keep", "etc/moved"])

    // A file deleted from the work tree without git is still a deletion git shows.
    try FileManager.default.removeItem(
      at: root.appending(path: "resources/test/files/local/etc/keep"))
    await #expect(try changes([]) == ["delete test/files/local/etc/keep"])
  }

  @Test func gitIsRequiredOnlyByTheOptionsThatNeedIt() async throws {
    try repo.resource("local/etc/motd", "hello\n")
    try FileManager.default.removeItem(at: root.appending(path: ".git"))
    let plan = try await Infra.run(["plan"], in: root)
    #expect(plan.code == 0, "\(plan)")
    #expect(plan.stdout.contains("Plan: 1 to create"))
    let changed = try await Infra.run(["plan", "--changed"], in: root)
    #expect(changed.code == 1)
    #expect(changed.stderr.contains("is not inside a git repository"), "\(changed)")
    #expect(changed.stderr.contains("run `git init`"))
  }

  @Test func aSavedPlanAppliesWhenNothingMoved() async throws {
    try await committedAndApplied()
    try repo.resource("local/etc/edit", "edit v2\n")
    try git("rm", "-q", "resources/test/files/local/etc/gone")
    let plan = try await Infra.run(["plan", "--out", "change.plan"], in: root)
    #expect(plan.code == 0, "\(plan)")
    #expect(plan.stderr.contains("Saved the plan to change.plan"))
    #expect(repo.target.files().contains("etc/gone"), "planning changes nothing")

    let shown = try await Infra.run(["show", "change.plan"], in: root)
    #expect(shown.stdout.contains("Plan: 0 to create, 1 to update, 1 to delete, 2 unchanged."))
    let markdown = try await Infra.run(["show", "--markdown", "change.plan"], in: root)
    #expect(
      markdown.stdout.contains(
        "### infra plan: 0 to create, 1 to update, 1 to delete, 2 unchanged"), "\(markdown)")
    #expect(markdown.stdout.contains("| 🟡 update | `test/files/local/etc/edit` | local |"))
    #expect(markdown.stdout.contains("<details><summary>🟡 <code>test/files/local/etc/edit</code>"))
    #expect(markdown.stdout.contains("```diff\n--- local:\(target)/etc/edit"))
    let json = try await Infra.run(["show", "--json", "change.plan"], in: root)
    #expect(json.stdout.contains("\"format_version\": \"1.0\""), "\(json)")

    // No terminal and no --yes: a saved plan was reviewed already, so it applies without asking.
    let apply = try await Infra.run(["apply", "change.plan"], in: root)
    #expect(apply.code == 0, "\(apply)")
    #expect(apply.stdout.contains("Applying the plan saved in change.plan"))
    #expect(repo.target.files() == ["etc/edit", "etc/keep", "etc/moved"])
    #expect(try repo.target.readText("etc/edit") == "edit v2\n")
  }

  @Test func aSavedPlanIsStaleWhenATargetWasEditedByHand() async throws {
    try await committedAndApplied()
    try repo.resource("local/etc/edit", "edit v2\n")
    try repo.resource("local/etc/keep", "keep v2\n")
    #expect(try await Infra.run(["plan", "--out", "change.plan"], in: root).code == 0)
    try repo.target.write("etc/keep", "changed by hand after the review\n")

    let apply = try await Infra.run(["apply", "change.plan"], in: root)
    #expect(apply.code == 1, "\(apply)")
    #expect(
      apply.stdout.contains(
        "test/files/local/etc/keep on local: the saved plan is stale: it changed on local since the plan was saved"
      ))
    #expect(apply.stdout.contains("The saved plan is stale."))
    // All or nothing: the unmoved change was not applied either.
    #expect(try repo.target.readText("etc/edit") == "edit v1\n")
    #expect(try repo.target.readText("etc/keep") == "changed by hand after the review\n")
  }

  @Test func aSavedPlanIsStaleWhenAResourceFileChanged() async throws {
    try await committedAndApplied()
    try repo.resource("local/etc/edit", "edit v2\n")
    #expect(try await Infra.run(["plan", "--out", "change.plan"], in: root).code == 0)
    try repo.resource("local/etc/edit", "edit v3, never reviewed\n")

    let apply = try await Infra.run(["apply", "change.plan"], in: root)
    #expect(apply.code == 1, "\(apply)")
    #expect(
      apply.stdout.contains(
        "test/files/local/etc/edit on local: the saved plan is stale: resources/test/files/local/etc/edit changed since the plan was saved"
      ))
    #expect(try repo.target.readText("etc/edit") == "edit v1\n")

    // Not a plan at all: a clear error.
    try repo.root.write("notes.txt", "hello")
    let garbage = try await Infra.run(["apply", "notes.txt"], in: root)
    #expect(garbage.code == 1)
    #expect(
      garbage.stderr.contains(
        "cannot apply notes.txt: it is not a plan saved by `infra plan --out`"),
      "\(garbage)")
  }

}
