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
}
