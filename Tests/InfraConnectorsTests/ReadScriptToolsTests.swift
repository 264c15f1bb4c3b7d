import Foundation
import InfraCore
import InfraTestSupport
import InfraTransport
import Testing

@testable import InfraConnectors

/// The read script says which host lacks a tool it needs, rather than reporting files it could
/// not hash as changed: with up to 500 files (one `sha256sum`, straight to the output) and
/// with more (batches on every core).
@Suite struct ReadScriptToolsTests {
  /// A local host whose commands find only the programs in `bin`.
  private struct Confined: Transport {
    let base = LocalTransport(host: InventoryHost(name: "confined", connection: .local))
    let bin: String
    var host: InventoryHost { base.host }
    func connect() async throws {}
    func disconnect() async {}
    func run(_ command: ShellCommand, input: Data?, timeout: Duration?) async throws
      -> CommandResult
    {
      try await base.run(
        ShellCommand.raw("PATH=\(shellQuote(bin))") + command, input: input, timeout: timeout)
    }
    func put(_ content: Data, at path: String, attributes: FileAttributes) async throws {}
    func get(_ path: String) async throws -> Data { Data() }
  }

  @Test(arguments: [3, 600])
  func aHostWithoutSha256sumIsToldApart(files count: Int) async throws {
    let folder = try TemporaryFolder("read-tools")
    let bin = folder.appending("bin")
    try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
    let programs = [
      "sh", "mktemp", "xargs", "stat", "cat", "grep", "cut", "sort", "tr", "getent", "rm",
      "nproc",
    ]
    for program in programs {
      let path = try #require(
        ["/bin", "/usr/bin"].map { "\($0)/\(program)" }.first {
          FileManager.default.isExecutableFile(atPath: $0)
        })
      try FileManager.default.createSymbolicLink(
        atPath: bin.appending(path: program).path, withDestinationPath: path)
    }
    let paths = try (0..<count).map { index in
      try folder.write("files/f\(index)", "\(index)\n").path
    }
    let transport = Confined(bin: bin.path)
    await #expect {
      _ = try await LiveFileReader.read(paths, through: transport)
    } throws: { error in
      "\(error)".contains("cannot read file state: a tool exited with 12")
        && "\(error)".contains("GNU coreutils")
    }
    // With sha256sum there too, the same files read whole.
    let sha = try #require(
      ["/bin", "/usr/bin"].map { "\($0)/sha256sum" }.first {
        FileManager.default.isExecutableFile(atPath: $0)
      })
    try FileManager.default.createSymbolicLink(
      atPath: bin.appending(path: "sha256sum").path, withDestinationPath: sha)
    let reading = try await LiveFileReader.read(paths, through: transport)
    #expect(reading.files.count == count)
    #expect(reading.files.values.allSatisfy { $0.sha256 != nil })
  }
}
