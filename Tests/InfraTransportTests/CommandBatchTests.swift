import Foundation
import InfraCore
import Testing

@testable import InfraTransport

/// `host/run_many`: many commands in one command on the host, each with its own input and its
/// own framed exit code, output and errors, whatever bytes they hold.
@Suite struct CommandBatchTests {
  let transport = LocalTransport(host: InventoryHost(name: "local", connection: .local))

  @Test func eachCommandGetsItsInputAndKeepsItsOutputApart() async throws {
    let binary = Data([0, 1, 10, 0x52, 0x20, 0xFF, 10])
    let results = try await CommandBatch.run(
      [
        .init(command: "cat", input: Base64(binary)),
        .init(command: "printf 'R 0 9 9\\n'; echo oops >&2; exit 3", input: nil),
        .init(command: "cat; echo done", input: nil),
        .init(command: #"printf '%s' "it's $HOME""#, input: Base64(Data("x".utf8))),
      ], stopOnFailure: false, timeout: nil, through: transport)
    #expect(results.count == 4)
    #expect(results[0] == CommandResult(exitCode: 0, stdout: binary))
    #expect(results[1].exitCode == 3 && results[1].stdoutText == "R 0 9 9\n")
    #expect(results[1].stderrText == "oops\n")
    #expect(results[2] == CommandResult(exitCode: 0, stdout: Data("done\n".utf8)))
    #expect(results[3].stdoutText.hasPrefix("it's /"))
  }

  @Test func theFirstFailureIsTheLastCommandRunWhenAsked() async throws {
    let folder = FileManager.default.temporaryDirectory.appending(path: "batch-\(UUID())")
    defer { try? FileManager.default.removeItem(at: folder) }
    let marker = folder.path
    let results = try await CommandBatch.run(
      [
        .init(command: "true", input: nil), .init(command: "exit 7", input: nil),
        .init(command: "mkdir \(shellQuote(marker))", input: nil),
      ], stopOnFailure: true, timeout: nil, through: transport)
    #expect(results.map(\.exitCode) == [0, 7])
    #expect(!FileManager.default.fileExists(atPath: marker), "the command after it never ran")
    #expect(
      try await CommandBatch.run([], stopOnFailure: true, timeout: nil, through: transport).isEmpty)
  }
}
