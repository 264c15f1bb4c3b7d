import Foundation
import InfraTestSupport
import Testing

/// A pull-request comment that GitHub accepts whatever the change: a 20,000-line file made a
/// comment of 129,541 characters, which GitHub refuses (it takes 65,536).
@Suite struct MarkdownLimitEndToEndTests {
  @Test func aTwentyThousandLineChangeMakesACommentGitHubTakes() async throws {
    let repo = try TestRepository("markdown-limit")
    try repo.writeConfig()
    let lines = (0..<20_000).map { "setting_\($0) = value \($0)\n" }.joined()
    try repo.resource("local/etc/big.conf", lines)
    try repo.resource("local/etc/small.conf", "small\n")
    let plan = try await Infra.run(["plan", "--out", "change.plan"], in: repo.root.url)
    #expect(plan.code == 0, "\(plan)")

    let comment = try await Infra.run(["show", "--markdown", "change.plan"], in: repo.root.url)
    #expect(comment.code == 0, "\(comment)")
    #expect(comment.stdout.utf16.count <= 65_536, "\(comment.stdout.utf16.count) characters")
    #expect(comment.stdout.contains("| 🟢 create | `test/files/local/etc/big.conf` |"))
    #expect(comment.stdout.contains("| 🟢 create | `test/files/local/etc/small.conf` |"))
    #expect(comment.stdout.contains("… cut here: the rest of this diff is not shown"))
    #expect(comment.stdout.contains("within 65,536 characters: `infra show PLANFILE` shows them"))

    let small = try await Infra.run(
      ["show", "--markdown", "--max-chars", "5000", "change.plan"], in: repo.root.url)
    #expect(small.stdout.utf16.count <= 5_000, "\(small.stdout.utf16.count) characters")
    let tooSmall = try await Infra.run(
      ["show", "--markdown", "--max-chars", "100", "change.plan"], in: repo.root.url)
    #expect(tooSmall.code == 64, "\(tooSmall)")
  }
}
