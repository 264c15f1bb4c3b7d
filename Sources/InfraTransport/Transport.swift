import Foundation
import InfraCore

/// The only way a connector touches a host: pyinfra's five methods, as async Swift.
///
/// Every connector, builtin or external, works through this protocol, so one connector serves
/// local hosts, SSH hosts and any transport added later.
package protocol Transport: Sendable {
  /// The host this transport reaches.
  var host: InventoryHost { get }

  /// Opens the connection; later calls reuse it. Throws `TransportError.unreachable`.
  func connect() async throws

  /// Runs a shell command on the host, with `input` on its standard input.
  /// A non-zero exit is a result, not an error; a timeout throws `TransportError.timedOut`.
  func run(_ command: ShellCommand, input: Data?, timeout: Duration?) async throws
    -> CommandResult

  /// Runs a shell command as `run(_:input:timeout:)` does, with standard input produced while
  /// it runs, so that memory does not grow with the input's size; what it prints on standard
  /// output goes to `output` as it arrives, in order, as well as into the result, so that a
  /// long command's progress is known before it ends.
  func run(
    _ command: ShellCommand, streaming input: StreamedInput, timeout: Duration?,
    output: StreamedOutput?
  ) async throws -> CommandResult

  /// Writes `content` to `path` atomically: a private temporary file beside the target, then
  /// mode and owner, then a rename over the target. The parent folder must exist.
  func put(_ content: Data, at path: String, attributes: FileAttributes) async throws

  /// Reads the file at `path`. Throws `TransportError.notFound` when there is none.
  func get(_ path: String) async throws -> Data

  /// Closes the connection; safe to call more than once.
  func disconnect() async

  /// Ends the run's use of the connection: one that may be kept warm for the next run (an SSH
  /// master with `ssh_persist`) stays open, others close as `disconnect` does.
  func release() async
}

extension Transport {
  package func release() async { await disconnect() }

  /// Collects the input in memory, then runs the command, and hands its output on at the end:
  /// for transports that cannot stream.
  package func run(
    _ command: ShellCommand, streaming input: StreamedInput, timeout: Duration?,
    output: StreamedOutput?
  ) async throws -> CommandResult {
    let result = try await run(command, input: input.collected(), timeout: timeout)
    output?(result.stdout)
    return result
  }

  /// Runs the command with streamed input; its output is only in the result.
  package func run(_ command: ShellCommand, streaming input: StreamedInput, timeout: Duration?)
    async throws -> CommandResult
  {
    try await run(command, streaming: input, timeout: timeout, output: nil)
  }

  package func run(_ command: ShellCommand) async throws -> CommandResult {
    try await run(command, input: nil, timeout: nil)
  }

  /// Runs a script through `sh -s` with the script on standard input.
  package func run(_ script: ShellScript, timeout: Duration? = nil) async throws -> CommandResult {
    let text = script.text
    transportLogger.debug(
      "script of \(script.lines.count) lines: \(text.count <= 300 ? text : text.prefix(300) + "…")",
      metadata: ["host": "\(host.name)"])
    return try await run(ShellScript.interpreter, input: Data(text.utf8), timeout: timeout)
  }
}

/// The mode and ownership a written file gets; `nil` leaves that part to the host's default.
package struct FileAttributes: Hashable, Sendable, Codable {
  /// Permission bits including setuid, setgid and sticky (`0o7777` at most).
  package var mode: UInt32?
  /// A user name or numeric id.
  package var owner: String?
  /// A group name or numeric id.
  package var group: String?

  package init(mode: UInt32? = nil, owner: String? = nil, group: String? = nil) {
    self.mode = mode
    self.owner = owner
    self.group = group
  }
}

/// What a command printed and how it ended.
package struct CommandResult: Hashable, Sendable {
  package var exitCode: Int32
  package var stdout: Data
  package var stderr: Data

  package init(exitCode: Int32, stdout: Data = Data(), stderr: Data = Data()) {
    self.exitCode = exitCode
    self.stdout = stdout
    self.stderr = stderr
  }

  package var succeeded: Bool { exitCode == 0 }
  package var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
  package var stderrText: String { String(decoding: stderr, as: UTF8.self) }

  /// Throws `TransportError.commandFailed` unless the command exited 0.
  @discardableResult
  package func check(_ command: ShellCommand, on host: String) throws -> CommandResult {
    guard succeeded else {
      throw TransportError.commandFailed(
        host: host, command: command.string, exitCode: exitCode,
        stderr: stderrText.trimmingCharacters(in: .whitespacesAndNewlines))
    }
    return self
  }
}

/// Why a transport call failed, worded for the person reading the plan.
package enum TransportError: Error, Hashable, Sendable, CustomStringConvertible {
  case unreachable(host: String, reason: String)
  /// The connection went away while a command ran: `partial` is what it printed until then
  /// (for an installer, which ops it confirmed).
  case connectionLost(host: String, reason: String, partial: CommandResult)
  case commandFailed(host: String, command: String, exitCode: Int32, stderr: String)
  case timedOut(host: String, command: String, after: Duration)
  case notFound(host: String, path: String)
  case fileError(host: String, path: String, reason: String)
  case unsupported(host: String, reason: String)
  /// sudo refused: a password was wanted, or the user may not become the target user.
  case escalationFailed(host: String, reason: String)

  /// The description without the host's name, for messages that name the host already.
  package var reason: String {
    switch self {
    case .unreachable(_, let reason), .unsupported(_, let reason), .escalationFailed(_, let reason),
      .connectionLost(_, let reason, _):
      reason
    default: description
    }
  }

  package var description: String {
    switch self {
    case .unreachable(let host, let reason), .connectionLost(let host, let reason, _):
      return "host \(host) is unreachable: \(reason)"
    case .commandFailed(let host, let command, let exitCode, let stderr):
      let shown = command.count > 200 ? String(command.prefix(200)) + "…" : command
      let detail = stderr.isEmpty ? "" : ": \(stderr)"
      return "command failed on \(host) with exit code \(exitCode)\(detail) (command: \(shown))"
    case .timedOut(let host, let command, let after):
      let shown = command.count > 200 ? String(command.prefix(200)) + "…" : command
      return
        "command timed out on \(host) after \(after.shortDescription) and was stopped (command: \(shown))"
    case .notFound(let host, let path):
      return "\(path) does not exist on \(host)"
    case .fileError(let host, let path, let reason):
      return "\(path) on \(host): \(reason)"
    case .unsupported(let host, let reason), .escalationFailed(let host, let reason):
      return "host \(host): \(reason)"
    }
  }
}

extension Duration {
  /// `1.5s`, `250ms`: short and exact enough for messages.
  package var shortDescription: String {
    let (seconds, attoseconds) = components
    let milliseconds = seconds * 1000 + attoseconds / 1_000_000_000_000_000
    if milliseconds < 1000 { return "\(milliseconds)ms" }
    if milliseconds % 1000 == 0 { return "\(seconds)s" }
    return String(format: "%.1fs", Double(milliseconds) / 1000)
  }
}
