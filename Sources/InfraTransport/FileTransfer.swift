import Foundation
import InfraCore

/// `put` and `get` through a transport's `run`, with the shell steps of `FileCommands`: how
/// files move over SSH and under sudo. Content streams over the transport's existing connection.
package enum FileTransfer {
  static func put(
    _ content: Data, at path: String, attributes: FileAttributes, host: String,
    run: (ShellCommand, Data?) async throws -> CommandResult
  ) async throws {
    try requireAbsolute(path, on: host)
    transportLogger.debug("put \(content.count) bytes to \(path)", metadata: ["host": "\(host)"])
    let command = FileCommands.put(path, attributes: attributes)
    let result = try await run(command, content)
    guard result.succeeded else {
      throw TransportError.fileError(
        host: host, path: path,
        reason: "cannot write it: "
          + result.stderrText.trimmingCharacters(in: .whitespacesAndNewlines))
    }
  }

  static func get(
    _ path: String, host: String, run: (ShellCommand) async throws -> CommandResult
  ) async throws -> Data {
    try requireAbsolute(path, on: host)
    transportLogger.debug("get \(path)", metadata: ["host": "\(host)"])
    let command = FileCommands.get(path)
    let result = try await run(command)
    switch result.exitCode {
    case 0: return result.stdout
    case FileCommands.notFoundExitCode: throw TransportError.notFound(host: host, path: path)
    case FileCommands.notAFileExitCode:
      throw TransportError.fileError(host: host, path: path, reason: "not a regular file")
    default:
      throw TransportError.fileError(
        host: host, path: path,
        reason: "cannot read it: "
          + result.stderrText.trimmingCharacters(in: .whitespacesAndNewlines))
    }
  }

  package static func requireAbsolute(_ path: String, on host: String) throws {
    guard path.hasPrefix("/") else {
      throw TransportError.fileError(host: host, path: path, reason: "the path must be absolute")
    }
  }
}
