import Foundation
import InfraCore
import InfraEngine
import InfraTestSupport
import InfraTransport
import Synchronization
import Testing

@testable import InfraConnectors

/// A host's files go out in one command, and each is reported as the host confirms it, not when
/// the command ends; a stopped run sends no further file, and every file it sent is finished.
@Suite struct LiveConfirmationTests {
  let transport = LocalTransport(host: InventoryHost(name: "local", connection: .local))

  private func ops(_ repo: TestRepository) async throws -> [PlannedOp] {
    try await Harness(repo: repo).plan().changes.map(\.op)
  }

  private func connector(_ repo: TestRepository) async throws -> any Connector {
    try await Harness(repo: repo).workspace().connectors[0].connector
  }

  /// The last file's check waits until the five before it were reported applied: were outcomes
  /// reported only when the command ends, the check would give up and the file fail.
  @Test(arguments: ["auto", "shell"])
  func eachFileIsReportedAsTheHostConfirmsIt(writer: String) async throws {
    let repo = try TestRepository("live-\(writer)")
    try repo.writeConfig(options: ["writer: \(writer)"])
    for name in ["a", "b", "c", "d", "e"] { try repo.resource("local/\(name)", "\(name)\n") }
    let marker = repo.root.appending("five-reported").path
    // Waits for the marker (up to a minute, so that a failure fails rather than hangs).
    let wait =
      "i=0; while [ ! -e \(marker) ] && [ $i -lt 1200 ]; do sleep 0.05; i=$((i+1)); done; test -e \(marker) && test -f %s"
    try repo.resource("local/.infra-attrs.yaml", "files:\n  z: { validate: '\(wait)' }\n")
    try repo.resource("local/z", "z\n")
    let ops = try await ops(repo)
    #expect(ops.count == 6)
    let reported = Mutex<[Address]>([])
    let response = try await connector(repo).apply(
      ApplyRequest(
        host: transport.host, transport: transport, ops: ops,
        onOutcome: { outcome in
          let count = reported.withLock { reported in
            reported.append(outcome.address)
            return reported.count
          }
          if count == 5 { _ = FileManager.default.createFile(atPath: marker, contents: nil) }
        }))
    #expect(response.outcomes.map(\.status) == Array(repeating: .applied, count: 6))
    #expect(reported.withLock { $0 } == ops.map(\.address), "each reported once, in order")
    #expect(try repo.target.readText("z") == "z\n")
  }

  /// A run stopped after the twentieth file went out: the host writes those twenty, whole,
  /// and no other, and each is reported started and applied.
  @Test(arguments: ["auto", "shell"])
  func aStoppedRunSendsNoFurtherFile(writer: String) async throws {
    let repo = try TestRepository("stopped-\(writer)")
    try repo.writeConfig(options: ["writer: \(writer)"])
    for index in 0..<60 {
      try repo.resource(
        "local/d\(index / 20)/f\(index)", String(repeating: "line \(index)\n", count: 100))
    }
    let ops = try await ops(repo).filter { $0.address.description.contains("/f") }
    #expect(ops.count == 60)
    let started = Mutex(0)
    let reported = Mutex(0)
    let response = try await connector(repo).apply(
      ApplyRequest(
        host: transport.host, transport: transport, ops: ops,
        shouldStop: { started.withLock { $0 } >= 20 },
        onStart: { _ in started.withLock { $0 += 1 } },
        onOutcome: { _ in reported.withLock { $0 += 1 } }))
    #expect(response.outcomes.map(\.address) == Array(ops.prefix(20).map(\.address)))
    #expect(response.outcomes.allSatisfy { $0.status == .applied })
    #expect(started.withLock { $0 } == 20)
    #expect(reported.withLock { $0 } == 20)
    let files = repo.target.files()
    #expect(files.count == 20, "\(files)")
    #expect(!files.contains { $0.contains(".infra-") }, "no temporary file is left behind")
    for file in files {
      let index = try #require(Int(file.split(separator: "/").last!.dropFirst()))
      #expect(try repo.target.readText(file) == String(repeating: "line \(index)\n", count: 100))
    }
  }

  /// Confirmations split anywhere between chunks are read whole; the first record that is not
  /// one ends the live reporting, and the rest is left to the command's result. Those that
  /// come in one chunk are reported together.
  @Test func confirmationsAreReadAcrossChunks() {
    let addresses = (0..<4).map { Address(prefix: "test", segments: ["files", "h", "f\($0)"]) }
    let reported = Mutex<[[Address]]>([])
    let live = FilesApplier.Confirmations(addresses, holding: addresses[1]) { outcomes in
      reported.withLock { $0.append(outcomes.map(\.address)) }
    }
    for byte in Data("ok\0ok\0ok\0fail f3: no\0".utf8) { live.take(Data([byte])) }
    #expect(reported.withLock { $0 } == [[addresses[0]], [addresses[2]]], "the held one is not")
    #expect(live.finish() == 3)
    live.take(Data("ok\0".utf8))
    #expect(live.finish() == 3, "nothing is taken once finished")

    let together = FilesApplier.Confirmations(addresses, holding: nil) { outcomes in
      reported.withLock { $0.append(outcomes.map(\.address)) }
    }
    together.take(Data("ok\0ok\0ok".utf8))
    together.take(Data("\0ok\0".utf8))
    #expect(
      reported.withLock { $0 }.suffix(2) == [Array(addresses[0..<2]), Array(addresses[2..<4])])
    #expect(together.finish() == 4)
  }
}
