import Foundation
import InfraCore
import Synchronization

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A host reached through the system's OpenSSH client, as Ansible does: the user's
/// `~/.ssh/config`, agent, ProxyJump and known_hosts all keep working.
///
/// `connect` opens one multiplexed master connection (ControlMaster, with its socket in a
/// private folder); every later command, put and get is one round trip over it, not a new
/// handshake. `disconnect` closes the master and removes the folder. With `ssh_persist` (60 s
/// unless set), `release` leaves the master open for that long after its last use, in a
/// private folder shared by this user's runs, under a name made from every setting it was
/// opened with: the next run that reaches the host the same way pays no handshake, and one
/// that reaches it any other way opens its own.
package final class SSHTransport: Transport {
  package let host: InventoryHost
  let user: String?
  let address: String
  let port: Int?
  let settings: SSHSettings
  /// The OpenSSH client: `ssh`, found on `PATH`, unless told otherwise.
  let program: String
  let runner = ProcessRunner()
  /// The private folder of the control socket, while connected.
  let controlFolder = Mutex<String?>(nil)

  /// How long the master outlives its last command: a backstop for an `infra` that is killed
  /// before it can disconnect. An expired master is opened again on the next command.
  static let masterIdleSeconds = 300
  /// Extra time the local `ssh` process gets beyond a command's timeout, which the remote side
  /// enforces first (so the remote command really stops).
  static let localTimeoutGrace: Duration = .seconds(10)

  package init(host: InventoryHost, program: String = "ssh") throws {
    guard case .ssh(let user, let address, let port) = host.connection else {
      throw TransportError.unsupported(host: host.name, reason: "not an ssh:// host")
    }
    self.host = host
    self.user = user
    self.address = address
    self.port = port
    self.settings = host.ssh
    self.program = program
  }

  // MARK: connection

  package func connect() async throws {
    // A master being opened ahead (SSHWarmUp) is waited for, and then used as it is: opening
    // it again would cost a process and a session on the host for nothing. A host it could
    // not reach is not tried twice; any other failure is tried again here.
    if persistent != nil, let outcome = await SSHWarmUp.wait(for: persistentSocketName) {
      switch outcome {
      case .success:
        let folder = try Self.sharedControlFolder(for: host.name)
        controlFolder.withLock { $0 = folder }
        return
      case .failure(let failure):
        if case .unreachable = failure { throw failure }
      }
    }
    try await open()
  }

  /// Opens the master for `SSHWarmUp`, which leaves it to the run that uses the host.
  func openAhead() async -> Result<Void, TransportError> {
    do {
      try await open()
      controlFolder.withLock { $0 = nil }
      return .success(())
    } catch let error as TransportError {
      return .failure(error)
    } catch {
      return .failure(.unreachable(host: host.name, reason: "\(error)"))
    }
  }

  private func open() async throws {
    if persistent != nil {
      try await openShared()
    } else {
      try await openMaster(in: makeControlFolder())
    }
  }

  /// Opens the master with its socket in `folder` (`ssh -N -f`).
  func openMaster(in folder: String) async throws {
    controlFolder.withLock { $0 = folder }
    // ConnectTimeout bounds the TCP connection only; this bounds a stalled handshake too.
    let limit = Duration.seconds(settings.connectTimeout * 3 + 10)
    let result: CommandResult
    do {
      // `-N -f`: authenticated, the master goes to the background and this returns, without
      // a session on the host (a `true` there cost the host a shell per connection).
      result = try await runner.run(
        [program] + arguments(folder, control: ["-N", "-f"]), input: nil, timeout: limit,
        host: host.name, display: ShellCommand("ssh", "-N", "-f", destination))
    } catch TransportError.timedOut {
      // A handshake stopped half-way may have left a master behind (it forks away once the
      // login succeeded): it is closed too.
      await disconnect()
      throw TransportError.unreachable(
        host: host.name,
        reason: "connecting to \(endpoint) did not finish within \(limit.shortDescription)")
    } catch {
      await disconnect()
      throw error
    }
    guard result.succeeded else {
      removeControlFolder()
      throw TransportError.unreachable(
        host: host.name, reason: SSHErrors.explain(result.stderrText, for: self))
    }
  }

  /// Closes the master, if there is one, also when the task that disconnects was cancelled (a
  /// Ctrl-C): the master must not outlive the run, nor the commands it runs. A persistent
  /// master that another run uses at that moment is closed for it too, which it sees as a
  /// lost connection (`ssh -O stop` would leave an interrupted command running on the host).
  package func disconnect() async {
    guard let folder = controlFolder.withLock({ $0 }) else { return }
    let command = [program] + arguments(folder, control: ["-O", "exit"])
    let (runner, host, display) = (
      runner, host.name, ShellCommand("ssh", "-O", "exit", destination)
    )
    await Task {
      _ = try? await runner.run(
        command, input: nil, timeout: .seconds(10), host: host, display: display)
    }.value
    removeControlFolder()
  }

  /// Leaves a persistent master open for the next run; closes any other as `disconnect` does.
  package func release() async {
    guard persistent != nil else { return await disconnect() }
    controlFolder.withLock { $0 = nil }
  }

  /// How long a released master stays open, when it does.
  var persistent: Int? {
    settings.persistSeconds > 0 ? settings.persistSeconds : nil
  }

  /// The pid of the master connection, as `ssh -O check` reports it; `nil` when there is none.
  package func masterProcessID() async -> Int32? {
    guard let folder = controlFolder.withLock({ $0 }),
      let result = try? await runner.run(
        [program] + arguments(folder, control: ["-O", "check"]), input: nil,
        timeout: .seconds(10), host: host.name, display: ShellCommand("ssh", "-O", "check")),
      result.succeeded,
      let range = result.stderrText.range(of: #"pid=(\d+)"#, options: .regularExpression)
    else { return nil }
    return Int32(result.stderrText[range].dropFirst(4))
  }

  // MARK: commands and files

  /// Runs `command` under `sh -c` on the host (whatever the login shell). With a timeout, the
  /// host's `timeout` stops the command and everything it started; the local `ssh` is stopped
  /// a little later as a backstop, which also closes the channel.
  package func run(_ command: ShellCommand, input: Data?, timeout: Duration?) async throws
    -> CommandResult
  {
    try await run(command, feeding: input.map { .data($0) }, timeout: timeout, output: nil)
  }

  package func run(
    _ command: ShellCommand, streaming input: StreamedInput, timeout: Duration?,
    output: StreamedOutput?
  ) async throws -> CommandResult {
    try await run(command, feeding: .stream(input), timeout: timeout, output: output)
  }

  private func run(
    _ command: ShellCommand, feeding input: ProcessRunner.Input?, timeout: Duration?,
    output: StreamedOutput?
  ) async throws -> CommandResult {
    guard let folder = controlFolder.withLock({ $0 }) else {
      throw TransportError.unreachable(host: host.name, reason: "not connected")
    }
    var remote = ShellCommand("sh", "-c", command.string)
    if let timeout {
      let (whole, fraction) = timeout.components
      let seconds = max(1, Int(whole) + (fraction > 0 ? 1 : 0))
      remote = ShellCommand("timeout", "-k", "5", String(seconds)) + remote
    }
    let clock = ContinuousClock()
    let start = clock.now
    let result = try await runner.run(
      [program] + arguments(folder) + [remote.string], feeding: input,
      timeout: timeout.map { $0 + Self.localTimeoutGrace }, host: host.name, display: command,
      output: output)
    if let timeout, result.exitCode == 124 || result.exitCode == 137,
      clock.now - start >= timeout
    {
      throw TransportError.timedOut(host: host.name, command: command.string, after: timeout)
    }
    if result.exitCode == 255 {
      // A cut connection can end a multiplexed command silently: the master is gone then.
      let failure = SSHErrors.isConnectionFailure(result.stderrText)
      let lost = failure ? true : await masterProcessID() == nil
      if lost {
        let reason =
          failure
          ? SSHErrors.explain(result.stderrText, for: self)
          : "the connection to \(endpoint) was lost while a command ran"
        throw TransportError.connectionLost(host: host.name, reason: reason, partial: result)
      }
    }
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

  // MARK: the control folder

  /// A private (0700) folder for the control socket, short enough for a socket path.
  private func makeControlFolder() throws -> String {
    var template = Array("/tmp/infra-ssh-XXXXXX".utf8CString)
    guard mkdtemp(&template) != nil else {
      throw TransportError.unreachable(
        host: host.name,
        reason:
          "cannot create a folder for the SSH control socket: \(String(cString: strerror(errno)))"
      )
    }
    return String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }

  /// Forgets the control folder, and removes it when it is this connection's own: the shared
  /// folder of persistent masters holds other runs' sockets.
  private func removeControlFolder() {
    guard
      let folder = controlFolder.withLock({ value in
        defer { value = nil }
        return value
      })
    else { return }
    if persistent == nil { try? FileManager.default.removeItem(atPath: folder) }
  }
}
