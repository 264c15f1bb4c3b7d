import Foundation
import InfraCore

/// The machine `infra` runs on: commands through `/bin/sh -c`, files through system calls.
package struct LocalTransport: Transport {
  package let host: InventoryHost
  var runner = ProcessRunner()

  package init(host: InventoryHost) {
    self.host = host
  }

  package func connect() async throws {}

  package func disconnect() async {}

  package func run(_ command: ShellCommand, input: Data?, timeout: Duration?) async throws
    -> CommandResult
  {
    try await runner.run(
      ["/bin/sh", "-c", command.string], feeding: input.map { .data($0) }, timeout: timeout,
      host: host.name, display: command)
  }

  package func run(
    _ command: ShellCommand, streaming input: StreamedInput, timeout: Duration?,
    output: StreamedOutput?
  ) async throws -> CommandResult {
    try await runner.run(
      ["/bin/sh", "-c", command.string], feeding: .stream(input), timeout: timeout,
      host: host.name, display: command, output: output)
  }

  package func put(_ content: Data, at path: String, attributes: FileAttributes) async throws {
    try FileTransfer.requireAbsolute(path, on: host.name)
    transportLogger.debug(
      "put \(content.count) bytes to \(path)", metadata: ["host": "\(host.name)"])
    try LocalFiles(host: host.name).write(content, to: path, attributes: attributes)
  }

  package func get(_ path: String) async throws -> Data {
    try FileTransfer.requireAbsolute(path, on: host.name)
    transportLogger.debug("get \(path)", metadata: ["host": "\(host.name)"])
    return try LocalFiles(host: host.name).read(path)
  }
}
