import Foundation
import InfraTestSupport
import Testing

/// `infra runs` lists what `.infra/runs/` keeps, newest first; `infra show RUN-ID` shows one
/// with its plan and how each host ended; `infra run` is kept like the others.
@Suite struct PastRunsEndToEndTests {
  @Test func pastRunsAreListedAndShown() async throws {
    let repo = try TestRepository("past-runs")
    try repo.writeConfig()
    try repo.resource("local/etc/motd", "hello\n")
    let root = repo.root.url
    #expect(try await Infra.run(["runs"], in: root).stdout.hasPrefix("No runs yet"))
    #expect(try await Infra.run(["plan"], in: root).code == 0)
    #expect(try await Infra.run(["apply", "--yes"], in: root).code == 0)
    #expect(try await Infra.run(["run", "local", "--", "true"], in: root).code == 0)

    let listed = try await Infra.run(["runs"], in: root)
    #expect(listed.code == 0, "\(listed)")
    let rows = listed.stdout.split(separator: "\n").dropFirst().map(String.init)
    #expect(rows.count == 3, "\(listed)")
    #expect(rows[0].contains(" command ") && rows[0].hasSuffix("infra run local -- true"))
    #expect(rows[1].contains(" apply ") && rows[1].contains(" successful  0   +1 ~0 -0 "))
    #expect(rows[2].contains(" plan ") && rows[2].hasSuffix("infra plan"), "\(rows)")

    let json = try await Infra.run(["runs", "--json"], in: root)
    let runs = try #require(
      try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
    #expect(runs.map { $0["kind"] as? String } == ["command", "apply", "plan"], "\(json)")
    let applyID = try #require(runs[1]["id"] as? String)
    #expect((runs[1]["summary"] as? [String: Any])?["create"] as? Int == 1)

    let shown = try await Infra.run(["show", applyID], in: root)
    #expect(shown.code == 0, "\(shown)")
    #expect(shown.stdout.hasPrefix("Run \(applyID): apply, successful, exit 0"), "\(shown)")
    #expect(shown.stdout.contains("+ test/files/local/etc/motd on local"), "\(shown)")
    #expect(shown.stdout.contains("local   1        1       0"), "\(shown)")
    // The random end of an id is enough, as with git's short hashes.
    let suffix = String(applyID.split(separator: "-").last!)
    #expect(try await Infra.run(["show", suffix], in: root).stdout.hasPrefix("Run \(applyID)"))
    let planJSON = try await Infra.run(["show", "--json", applyID], in: root)
    #expect(planJSON.stdout.contains(#""format_version""#), "\(planJSON)")

    let ambiguous = try await Infra.run(["show", "20"], in: root)
    #expect(ambiguous.code == 1, "\(ambiguous)")
    #expect(ambiguous.stderr.contains("'20' is the start or end of 3 run ids"), "\(ambiguous)")
    let missing = try await Infra.run(["show", "nosuch"], in: root)
    #expect(missing.code == 1, "\(missing)")
    // Outside a repository, a missing file is just that.
    let elsewhere = try TemporaryFolder("past-runs-elsewhere")
    let outside = try await Infra.run(["show", "nosuch"], in: elsewhere.url)
    #expect(outside.code == 1, "\(outside)")
    #expect(!outside.stderr.contains("there is no infra.yaml"), "\(outside)")
  }
}
