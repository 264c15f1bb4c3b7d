import Foundation
import InfraCore
import InfraTestSupport
import InfraTransport
import Testing

@testable import InfraConnectors

/// The Perl installer syncs a group of staged writes while it stages the next one: what a
/// failure in the next group leaves, and a host without a `sync` program.
@Suite struct InstallerGroupTests {
  let transport = LocalTransport(host: InventoryHost(name: "local", connection: .local))

  private func writes(_ base: String, count: Int) -> [FileInstaller.Op] {
    (0..<count).map { index in
      FileInstaller.Op(
        kind: .write, path: "\(base)/d\(index / 100)/f\(index)", content: Data("\(index)\n".utf8))
    }
  }

  /// A write of the second group fails while the first group may still be syncing: the first
  /// group and the writes of the second before the failure are in place and confirmed, in
  /// order; nothing after it is written, and no temporary file is left.
  @Test func aFailureInTheNextGroupKeepsWhatCameBefore() async throws {
    let folder = try TemporaryFolder("installer-groups")
    let base = folder.appending("target").path
    try folder.write("target/blocker", "a file where a folder should be\n")
    var ops = writes(base, count: 1100)
    ops[1050] = FileInstaller.Op(kind: .write, path: base + "/blocker/x", content: Data("x\n".utf8))
    let result = try await transport.run(
      FileInstaller.command(.auto), streaming: FileInstaller.Feed(ops).input, timeout: nil)
    #expect(result.stderrText.isEmpty, "\(result.stderrText)")
    let outcomes = FileInstaller.outcomes(result.stdout, count: ops.count)
    #expect(outcomes.prefix(1050).allSatisfy { (try? $0?.get()) != nil }, "\(result.stdout.count)")
    let message = outcomes[1050].map {
      if case .failure(let error) = $0 { error.message } else { "ok" }
    }
    #expect(message == "\(base)/blocker: it is a file where a folder should be")
    #expect(outcomes.suffix(from: 1051).allSatisfy { $0 == nil })
    for index in [0, 1023, 1024, 1049] {
      #expect(try folder.readText("target/d\(index / 100)/f\(index)") == "\(index)\n")
    }
    #expect(!folder.exists("target/d10/f1051"))
    let files = folder.files()
    #expect(files.count == 1051, "1,050 writes and the blocker")
    #expect(!files.contains { $0.contains(".infra-") }, "no temporary file is left behind")
  }

  /// Where there is no `sync` program, each staged file is synced by itself.
  @Test func aHostWithoutSyncSyncsEachFile() async throws {
    let folder = try TemporaryFolder("installer-no-sync")
    let bin = folder.appending("bin")
    try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
    for program in ["sh", "perl"] {
      let path = try #require(
        ["/bin", "/usr/bin"].map { "\($0)/\(program)" }.first {
          FileManager.default.isExecutableFile(atPath: $0)
        })
      try FileManager.default.createSymbolicLink(
        atPath: bin.appending(path: program).path, withDestinationPath: path)
    }
    let base = folder.appending("target").path
    let ops = writes(base, count: 1100)
    let command = ShellCommand.raw("PATH=\(shellQuote(bin.path))") + FileInstaller.command(.auto)
    let result = try await transport.run(
      command, streaming: FileInstaller.Feed(ops).input, timeout: nil)
    #expect(result.stderrText.isEmpty, "\(result.stderrText)")
    let outcomes = FileInstaller.outcomes(result.stdout, count: ops.count)
    #expect(outcomes.allSatisfy { (try? $0?.get()) != nil })
    #expect(try folder.readText("target/d10/f1099") == "1099\n")
    #expect(!folder.files().contains { $0.contains(".infra-") })
  }
}
