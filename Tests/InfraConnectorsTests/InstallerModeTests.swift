import Foundation
import InfraCore
import InfraTestSupport
import InfraTransport
import Testing

@testable import InfraConnectors

/// A file lands with exactly the mode it was given, with either writer: made with it at once
/// where the umask (022) leaves it whole, given it after the write where it would not (group
/// or others may write) or where it has a setuid, setgid or sticky bit.
@Suite struct InstallerModeTests {
  let transport = LocalTransport(host: InventoryHost(name: "local", connection: .local))
  let folder: TemporaryFolder

  init() throws {
    folder = try TemporaryFolder("installer-modes")
  }

  @Test(arguments: [FileInstaller.Writer.auto, .shell])
  func everyModeLandsAsGiven(writer: FileInstaller.Writer) async throws {
    let modes: [UInt32?] = [
      nil, 0o600, 0o644, 0o640, 0o400, 0o755, 0o666, 0o777, 0o620, 0o4755, 0o2750, 0o1777,
    ]
    let ops = modes.enumerated().map { index, mode in
      FileInstaller.Op(
        kind: .write, path: folder.appending("target/f\(index)").path,
        source: .bytes(Data("file \(index)\n".utf8)), mode: mode, owner: nil, group: nil)
    }
    try FileManager.default.createDirectory(
      at: folder.appending("target"), withIntermediateDirectories: true)
    let feed = FileInstaller.Feed(ops)
    let result = try await transport.run(
      FileInstaller.command(writer), streaming: feed.input, timeout: nil)
    let outcomes = FileInstaller.outcomes(result.stdout, count: ops.count)
    #expect(outcomes.allSatisfy { (try? $0?.get()) != nil }, "\(outcomes) \(result.stderrText)")
    for (index, mode) in modes.enumerated() {
      #expect(try folder.readText("target/f\(index)") == "file \(index)\n")
      #expect(
        try folder.mode("target/f\(index)") == mode ?? 0o644,
        "f\(index) should be \(String(mode ?? 0o644, radix: 8))")
    }
    #expect(!folder.files().contains { $0.contains(".infra-") }, "\(folder.files())")
  }
}
