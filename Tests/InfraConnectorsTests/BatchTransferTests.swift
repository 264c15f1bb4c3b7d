import Foundation
import InfraCore
import InfraEngine
import InfraTestSupport
import InfraTransport
import Testing

@testable import InfraConnectors

/// The batched transfers of the files connector, with perl on the host and with the shell.
@Suite struct BatchTransferTests {
  let transport = LocalTransport(host: InventoryHost(name: "local", connection: .local))
  let folder: TemporaryFolder

  init() throws {
    folder = try TemporaryFolder("batch")
  }

  static let names = ["plain", "with space", "it's \"q\"", "$(id)", "new\nline", "-n", "ünï ✓"]

  @Test(arguments: [FileInstaller.Writer.auto, .shell])
  func oneCommandFetchesManyContents(writer: FileInstaller.Writer) async throws {
    var expected: [String: Data] = [:]
    for (index, name) in Self.names.enumerated() {
      let data = index == 0 ? Data([0, 10, 255, 13, 10]) : Data("content of \(name)\n".utf8)
      try folder.write(name, data: data)
      expected[folder.appending(name).path] = data
    }
    try folder.write("empty", "")
    expected[folder.appending("empty").path] = Data()
    try folder.write("locked", "secret")
    try folder.setMode("locked", 0)
    let paths = expected.keys.sorted() + [folder.appending("missing").path, folder.path]
    let fetched = try await LiveContentFetcher.fetch(
      paths + (geteuid() == 0 ? [] : [folder.appending("locked").path]), through: transport,
      writer: writer)
    #expect(fetched == expected)
  }

  @Test(arguments: [FileInstaller.Writer.auto, .shell])
  func oneCommandInstallsWritesAttributesAndRemovals(writer: FileInstaller.Writer) async throws {
    try folder.write("old", "to remove\n")
    try folder.write("keep", "same\n")
    try folder.setMode("keep", 0o600)
    let binary = Data((0..<4096).map { UInt8($0 % 256) })
    var ops = Self.names.map { name in
      FileInstaller.Op(
        kind: .write, path: folder.appending("new/\(name)").path, content: Data(name.utf8),
        mode: 0o640)
    }
    ops.append(FileInstaller.Op(kind: .write, path: folder.appending("bin").path, content: binary))
    ops.append(
      FileInstaller.Op(kind: .attributes, path: folder.appending("keep").path, mode: 0o644))
    ops.append(FileInstaller.Op(kind: .remove, path: folder.appending("old").path))
    ops.append(FileInstaller.Op(kind: .remove, path: folder.appending("never-there").path))
    let result = try await transport.run(
      FileInstaller.command(writer), streaming: FileInstaller.Feed(ops).input, timeout: nil)
    let outcomes = FileInstaller.outcomes(result.stdout, count: ops.count)
    #expect(outcomes.allSatisfy { (try? $0?.get()) != nil }, "\(outcomes) \(result.stderrText)")
    for name in Self.names {
      #expect(try folder.read("new/\(name)") == Data(name.utf8))
      #expect(try folder.mode("new/\(name)") == 0o640)
    }
    #expect(try folder.read("bin") == binary)
    #expect(try folder.mode("bin") == 0o644)
    #expect(try folder.mode("keep") == 0o644 && (try folder.readText("keep")) == "same\n")
    #expect(!folder.exists("old"))
    #expect(!folder.files().contains { $0.contains(".infra-") })
  }

  @Test(arguments: [FileInstaller.Writer.auto, .shell])
  func theFirstFailureStopsTheRest(writer: FileInstaller.Writer) async throws {
    try folder.write("blocker", "a file\n")
    let ops = [
      FileInstaller.Op(kind: .write, path: folder.appending("a").path, content: Data("a".utf8)),
      FileInstaller.Op(
        kind: .write, path: folder.appending("blocker/b").path, content: Data("b".utf8)),
      FileInstaller.Op(kind: .write, path: folder.appending("c").path, content: Data("c".utf8)),
    ]
    let result = try await transport.run(
      FileInstaller.command(writer), streaming: FileInstaller.Feed(ops).input, timeout: nil)
    let outcomes = FileInstaller.outcomes(result.stdout, count: 3)
    #expect((try? outcomes[0]?.get()) != nil)
    #expect(
      outcomes[1].map { if case .failure(let error) = $0 { error.message } else { "ok" } }
        == "\(folder.path)/blocker: it is a file where a folder should be")
    #expect(outcomes[2] == nil)
    #expect(!folder.exists("c"))
  }
}

/// A transport whose every command answers with the same result, to play a failing host.
struct ScriptedTransport: Transport {
  let host = InventoryHost(name: "scripted", connection: .local)
  let result: CommandResult

  func connect() async throws {}
  func disconnect() async {}
  func run(_ command: ShellCommand, input: Data?, timeout: Duration?) async throws
    -> CommandResult
  { result }
  func put(_ content: Data, at path: String, attributes: FileAttributes) async throws {}
  func get(_ path: String) async throws -> Data { Data() }
}

@Suite struct InstallerFailureTests {
  /// An installer that dies after one op (killed, out of memory) leaves the next op failed with
  /// what it printed, rather than silently not applied.
  @Test func anInstallerThatDiesPartWayFailsTheNextOp() async throws {
    let repo = try TestRepository("died")
    try repo.writeConfig()
    for name in ["a", "b", "c"] { try repo.resource("local/\(name)", "\(name)\n") }
    let workspace = try await Harness(repo: repo).workspace()
    let connector = workspace.connectors[0].connector
    let ops = try await Harness(repo: repo).plan().changes.map(\.op)
    let transport = ScriptedTransport(
      result: CommandResult(exitCode: 137, stdout: Data("ok\0".utf8), stderr: Data("Killed\n".utf8))
    )
    let response = await connector.apply(
      ApplyRequest(host: transport.host, transport: transport, ops: ops))
    #expect(
      response.outcomes.map(\.status) == [
        .applied, .failed("the installer stopped on scripted (exit 137): Killed"),
      ])
  }
}
