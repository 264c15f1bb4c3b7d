import Foundation
import InfraCore
import InfraEngine
import Testing

@Suite struct EventLinesTests {
  private func record(_ counter: Int, _ event: RunEvent) -> RunEventRecord {
    RunEventRecord(
      runID: "r", counter: counter, time: Date(timeIntervalSince1970: 0), event: event)
  }

  private func read(_ counter: Int) -> RunEventRecord {
    record(
      counter,
      .resourceRead(
        host: "web1", address: Address(prefix: "prod", segments: ["files", "web1", "f\(counter)"]),
        exists: true))
  }

  /// Reads wait for the next other event, which writes them with itself in order; a long run
  /// of reads is written every 64 KiB; what waits at the end is given back.
  @Test func readsWaitForTheNextOtherEvent() throws {
    var lines = EventLines()
    #expect(lines.add(read(1)) == nil)
    #expect(lines.add(read(2)) == nil)
    let done = record(3, .hostConnect(host: "web2"))
    #expect(lines.add(done) == read(1).line + read(2).line + done.line)
    #expect(lines.rest() == nil)

    var written = Data()
    var counter = 10
    while written.isEmpty {
      counter += 1
      written = lines.add(read(counter)) ?? Data()
    }
    #expect(written.count >= 64 << 10 && written.count < (64 << 10) + 1024)
    #expect(String(decoding: written, as: UTF8.self).split(separator: "\n").count == counter - 10)
    #expect(lines.add(read(counter + 1)) == nil)
    #expect(lines.rest() == read(counter + 1).line)
  }
}
