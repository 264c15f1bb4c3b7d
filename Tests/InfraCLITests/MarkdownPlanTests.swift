import Foundation
import InfraCLI
import InfraCore
import InfraEngine
import InfraTestSupport
import Testing

/// `infra show --markdown`: a pull-request comment that survives whatever the plan contains.
@Suite struct MarkdownPlanTests {
  func saved(_ changes: [Change]) throws -> SavedPlan {
    let folder = try TemporaryFolder("markdown")
    try folder.write("infra.yaml", "version: 1\n")
    var saved = SavedPlan(
      plan: Plan(changes: changes), runID: "20261121T214000.000Z-abcdef",
      root: Repository(root: folder.url),
      repository: SavedPlan.RepositoryState(
        commit: "0123456789abcdef0123", dirty: false, base: "origin/main",
        baseCommit: "fedcba9876543210fedc", changedOnly: true),
      createdAt: Date(timeIntervalSince1970: 0))
    saved.plan.diagnostics = [
      .warning("is not claimed | <b>", at: SourceLocation(file: "resources/x"))
    ]
    return saved
  }

  func change(_ path: String, _ action: Action, message: String, diff: String? = nil) -> Change {
    Change(
      host: "web1",
      op: PlannedOp(
        address: Address(
          prefix: "prod", segments: ["files", "web1"] + path.split(separator: "/").map(String.init)),
        action: action, message: message, diff: diff, payload: .null),
      sources: [], notes: [], liveFingerprint: "x")
  }

  @Test func aTableOfChangesAndEachDiffFolded() throws {
    let text = MarkdownPlanRenderer().render(
      try saved([
        change("etc/motd", .update, message: "update /etc/motd: content", diff: "-a\n+b\n"),
        change("etc/old", .delete, message: "delete /etc/old: a|b"),
      ]))
    #expect(text.hasPrefix("### infra plan: 0 to create, 1 to update, 1 to delete, 0 unchanged\n"))
    #expect(
      text.contains(
        "commit `0123456789ab` · change set since `origin/main` (`fedcba987654`) · planned 1970-01-01T00:00:00.000Z"
      ))
    #expect(text.contains("> ⚠️ resources/x: warning: is not claimed \\| &lt;b&gt;\n"))
    #expect(
      text.contains("| 🟡 update | `prod/files/web1/etc/motd` | web1 | update /etc/motd: content |"))
    #expect(
      text.contains("| 🔴 delete | `prod/files/web1/etc/old` | web1 | delete /etc/old: a\\|b |"))
    #expect(
      text.contains(
        "<details><summary>🟡 <code>prod/files/web1/etc/motd</code> on web1</summary>\n\n```diff\n-a\n+b\n```\n\n</details>"
      ))
    #expect(!text.contains("<code>prod/files/web1/etc/old</code>"), "nothing to fold")
  }

  @Test func aDiffHoldingFencesGetsALongerFence() throws {
    let diff = "-```\n+````swift\n"
    let text = MarkdownPlanRenderer().render(
      try saved([change("README.md", .update, message: "update", diff: diff)]))
    #expect(text.contains("`````diff\n-```\n+````swift\n`````\n"))
  }

  @Test func aLongPlanKeepsItsTableAndCutsDiffsToTheLimit() throws {
    let diff = (0..<100).map { "+line \($0) of a long file\n" }.joined()
    let changes = (0..<200).map {
      change("etc/file\($0)", .update, message: "update /etc/file\($0): content", diff: diff)
    }
    let limit = MarkdownPlanRenderer.gitHubLimit
    let text = MarkdownPlanRenderer(maxCharacters: limit).render(try saved(changes))
    #expect(text.utf16.count <= limit, "\(text.utf16.count)")
    for index in 0..<200 {
      #expect(text.contains("`prod/files/web1/etc/file\(index)` |"), "row \(index)")
    }
    #expect(
      text.contains("diffs are not shown here, to keep this comment within 65,536 characters"))
    #expect(text.contains("`infra show PLANFILE` shows them"))
    #expect(text.contains("… cut here: the rest of this diff is not shown"))
    #expect(
      text.components(separatedBy: "<details>").count
        == text.components(separatedBy: "</details>").count, "every fold is closed")
    #expect(text.hasSuffix("it stops if anything moved since.\n"))
    let whole = MarkdownPlanRenderer().render(try saved(changes))
    #expect(whole.utf16.count > 4 * limit && !whole.contains("✂️"))
  }

  @Test func aTableTooLongForTheLimitIsCutWithANote() throws {
    let changes = (0..<5_000).map {
      change("etc/file\($0)", .create, message: "create /etc/file\($0): 1 line, mode 0644")
    }
    let text = MarkdownPlanRenderer(maxCharacters: 20_000).render(try saved(changes))
    #expect(text.utf16.count <= 20_000, "\(text.utf16.count)")
    #expect(text.hasPrefix("### infra plan: 5000 to create"))
    #expect(text.contains("more changes and every diff are not shown here"), "\(text.suffix(500))")
  }
}
