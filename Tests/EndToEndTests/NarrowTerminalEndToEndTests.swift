import Foundation
import InfraTestSupport
import Testing

/// The progress line in a terminal of 40 columns: clipped to one row, so redrawing it leaves
/// no stale rows behind.
@Suite struct NarrowTerminalEndToEndTests {
  @Test func theProgressLineFitsA40ColumnTerminal() async throws {
    let repo = try TestRepository("narrow")
    try repo.writeConfig()
    for index in 0..<20 { try repo.resource("local/etc/file\(index)", "\(index)\n") }
    let run = try await Infra.runOnTerminal(
      ["plan"], in: repo.root.url, answer: "", columns: 40)
    #expect(run.code == 0, "\(run)")
    let redraws = run.stdout.components(separatedBy: "\r\u{1B}[2K").dropFirst()
    let lines = redraws.map { $0.prefix { $0 != "\r" && $0 != "\n" && $0 != "\u{1B}" } }
      .filter { $0.hasPrefix("planning") }
    #expect(!lines.isEmpty, "no progress line was drawn: \(run.stdout.debugDescription)")
    for line in lines {
      #expect(line.count < 40, "\(line.count) columns: \(line)")
    }
    #expect(
      lines.contains { $0.hasSuffix("…") }, "the line was never long enough to clip: \(lines)")
  }
}
