import Foundation
import InfraTestSupport
import Testing

/// `infra apply --yes` shows the plan while the first changes go: what it prints must still
/// read as if one came after the other.
@Suite struct ApplyOutputEndToEndTests {
  let repo: TestRepository
  var root: URL { repo.root.url }

  init() throws {
    repo = try TestRepository("apply-output")
    try repo.writeConfig()
  }

  /// 1,500 new files: the whole plan, then "Applying:", then one line per file applied, and
  /// the run's transcript is what was printed, in the same order.
  @Test func thePlanComesWholeBeforeTheFirstLineAboutAChange() async throws {
    let count = 1500
    for index in 0..<count {
      try repo.resource(
        "local/d\(index % 30)/f\(index)", String(repeating: "line of file \(index)\n", count: 20))
    }
    let apply = try await Infra.run(["apply", "--yes"], in: root)
    #expect(apply.code == 0, "\(apply.stderr)")
    let lines = apply.stdout.split(separator: "\n", omittingEmptySubsequences: false)
    let summary = try #require(lines.firstIndex { $0.hasPrefix("Plan: \(count) to create") })
    let applying = try #require(lines.firstIndex(of: "Applying:"))
    let applied = lines.indices.filter { lines[$0].hasPrefix("  ✓ ") }
    #expect(applied.count == count)
    #expect(summary < applying && applying < (applied.first ?? -1))
    #expect(
      lines[..<applying].count { $0.hasPrefix("+ test/files/local/") } == count,
      "every planned change is shown before the changes are made")
    #expect(lines[applying...].contains { $0.hasPrefix("Apply complete: \(count) changed") })

    let runs = root.appending(path: ".infra/runs")
    let run = try #require(
      try FileManager.default.contentsOfDirectory(atPath: runs.path).filter { !$0.hasPrefix(".") }
        .sorted().last)
    let transcript = try String(
      contentsOf: runs.appending(path: "\(run)/stdout"), encoding: .utf8)
    #expect(transcript == apply.stdout)
  }
}
