import Foundation
import InfraCore

/// Any transport, with every command and file operation run through `sudo -n` as another user.
///
/// The command is wrapped once (`sudo -n -H -u USER -- sh -c '…'`, quoted as a whole), and
/// files move through the shell so that the temporary file, mode, owner and rename all happen
/// as that user. `-n` never prompts: a sudo that wants a password is an error that says so.
package struct SudoTransport: Transport {
  package let base: any Transport
  /// The user to become; root when `nil`.
  package let user: String?

  package init(base: any Transport, user: String?) {
    self.base = base
    self.user = user
  }

  package var host: InventoryHost { base.host }

  package func connect() async throws { try await base.connect() }

  package func disconnect() async { await base.disconnect() }

  package func release() async { await base.release() }

  package func run(_ command: ShellCommand, input: Data?, timeout: Duration?) async throws
    -> CommandResult
  {
    let result = try await base.run(command.sudo(user: user), input: input, timeout: timeout)
    try checkSudo(result)
    return result
  }

  package func run(
    _ command: ShellCommand, streaming input: StreamedInput, timeout: Duration?,
    output: StreamedOutput?
  ) async throws -> CommandResult {
    let result = try await base.run(
      command.sudo(user: user), streaming: input, timeout: timeout, output: output)
    try checkSudo(result)
    return result
  }

  package func put(_ content: Data, at path: String, attributes: FileAttributes) async throws {
    try await FileTransfer.put(content, at: path, attributes: attributes, host: host.name) {
      try await run($0, input: $1, timeout: nil)
    }
  }

  package func get(_ path: String) async throws -> Data {
    try await FileTransfer.get(path, host: host.name) { try await run($0) }
  }

  /// Turns sudo's own refusals into errors that say what to fix; a command's failures pass.
  private func checkSudo(_ result: CommandResult) throws {
    guard result.exitCode == 1 || result.exitCode == 127 else { return }
    let stderr = result.stderrText
    let target = user.map { "user '\($0)'" } ?? "root"
    func refuse(_ problem: String, _ fix: String) -> TransportError {
      .escalationFailed(host: host.name, reason: "\(problem); \(fix)")
    }
    if stderr.contains("a password is required") || stderr.contains("a terminal is required") {
      throw refuse(
        "sudo to \(target) asks for a password, and infra never types one",
        "allow it without a password (NOPASSWD in sudoers) for the connecting user, or connect as \(target)"
      )
    }
    if stderr.contains("is not in the sudoers file") || stderr.contains("is not allowed to execute")
    {
      throw refuse(
        "the connecting user may not sudo to \(target)", "grant it in sudoers on \(host.name)")
    }
    if stderr.contains("unknown user") {
      throw refuse("there is no \(target) on \(host.name)", "check `sudo_user`")
    }
    if result.exitCode == 127, stderr.contains("sudo") && stderr.contains("not found") {
      throw refuse("sudo is not installed on \(host.name)", "install it or remove `sudo: true`")
    }
  }
}

extension Transport {
  /// This transport as `escalation` asks: itself, or wrapped in sudo.
  package func escalated(_ escalation: Escalation) -> any Transport {
    switch escalation {
    case .none: self
    case .sudo(let user): SudoTransport(base: self, user: user)
    }
  }
}
