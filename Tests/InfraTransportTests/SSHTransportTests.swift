import Foundation
import InfraCore
import InfraTestSupport
import InfraTransport
import Testing

/// The SSH transport against a real sshd on 127.0.0.1.
@Suite struct SSHTransportTests {
  let server: SSHServer

  init() throws {
    server = try SSHServer()
  }

  func host(
    user: String = SSHServer.loginUser, port: Int? = nil, knownHosts: String? = nil,
    checking: SSHSettings.HostKeyChecking = .strict, key: String? = nil
  ) -> InventoryHost {
    InventoryHost(
      name: "remote", connection: .ssh(user: user, host: "127.0.0.1", port: port ?? server.port),
      ssh: SSHSettings(
        identityFile: key ?? server.clientKey, knownHostsFile: knownHosts ?? server.knownHosts,
        hostKeyChecking: checking, connectTimeout: 5))
  }

  func connected(_ host: InventoryHost? = nil) async throws -> SSHTransport {
    let transport = try SSHTransport(host: host ?? self.host())
    try await transport.connect()
    return transport
  }

  func reason(_ host: InventoryHost) async -> String {
    do {
      let transport = try SSHTransport(host: host)
      try await transport.connect()
      await transport.disconnect()
      return "connected"
    } catch let error as TransportError {
      return error.reason
    } catch {
      return "\(error)"
    }
  }

  @Test func commandsRunOverOneMultiplexedConnection() async throws {
    let transport = try await connected()
    let result = try await transport.run(.raw("echo out; echo err >&2; id -un; exit 3"))
    #expect(result.exitCode == 3)
    #expect(result.stdoutText == "out\n\(SSHServer.loginUser)\n")
    #expect(result.stderrText == "err\n")
    for word in ["it's", "$(id)", "new\nline", "-n", "*"] {
      #expect(try await transport.run(ShellCommand("printf", "%s", word)).stdoutText == word)
    }
    for _ in 0..<20 { _ = try await transport.run(ShellCommand("true")) }
    #expect(try server.logins() == 1)
    await transport.disconnect()
  }

  @Test func filesMoveBothWaysExactly() async throws {
    let target = try SSHServer.ownedFolder("ssh-files")
    let transport = try await connected()
    var generator = SeededGenerator(seed: 10)
    let big = Data((0..<(10 << 20)).map { _ in UInt8.random(in: 0...255, using: &generator) })
    let path = target.appending("it's a \"big\" $(file)").path
    try await transport.put(big, at: path, attributes: FileAttributes(mode: 0o640))
    #expect(try target.read("it's a \"big\" $(file)") == big)
    #expect(try target.mode("it's a \"big\" $(file)") == 0o640)
    #expect(try await transport.get(path) == big)
    #expect(target.files() == ["it's a \"big\" $(file)"])
    await #expect(throws: TransportError.notFound(host: "remote", path: path + "x")) {
      _ = try await transport.get(path + "x")
    }
    await #expect(throws: TransportError.self) {
      try await transport.put(
        Data(), at: target.appending("no/such/dir/x").path, attributes: FileAttributes())
    }
    await transport.disconnect()
  }

  @Test func aTimeoutStopsTheRemoteCommand() async throws {
    let transport = try await connected()
    let marker = "\(Int.random(in: 100_000...999_999))"
    await #expect(
      throws: TransportError.timedOut(
        host: "remote", command: "sleep \(marker)", after: .seconds(1))
    ) {
      _ = try await transport.run(ShellCommand("sleep", marker), input: nil, timeout: .seconds(1))
    }
    // `[s]leep` matches the command but not this pgrep's own shell.
    let left = try await transport.run(.raw("pgrep -f '[s]leep \(marker)' || true"))
    #expect(left.stdoutText.isEmpty, "the remote command survived its timeout")
    await transport.disconnect()
  }

  @Test func disconnectStopsTheMaster() async throws {
    let transport = try await connected()
    let pid = try #require(await transport.masterProcessID())
    #expect(kill(pid, 0) == 0)
    await transport.disconnect()
    var alive = true
    for _ in 0..<300 where alive {
      alive = isRunning(pid)
      if alive { try await Task.sleep(for: .milliseconds(100)) }
    }
    #expect(!alive, "the master \(pid) outlived disconnect")
  }

  /// Hosts reached the same way share one master, opened once even when they connect at the
  /// same moment: masters opened side by side for one socket all logged in, and all but one
  /// stayed connected for ever, out of reach of ControlPersist and `ssh -O exit`.
  @Test func hostsReachedTheSameWayShareOneMaster() async throws {
    let transports = try (0..<6).map { _ in try SSHTransport(host: host()) }
    try await withThrowingTaskGroup(of: Void.self) { group in
      for transport in transports { group.addTask { try await transport.connect() } }
      try await group.waitForAll()
    }
    for transport in transports {
      #expect(try await transport.run(ShellCommand("true")).succeeded)
    }
    await transports[0].disconnect()
    let (logins, ended) = try await server.endedLogins(atLeast: 1)
    #expect(logins == 1, "one master for the six")
    #expect(ended == logins, "no connection outlived the master")
  }

  @Test func hostKeysAreCheckedStrictly() async throws {
    let other = try TemporaryFolder("keys")
    try other.write("empty_known_hosts", "")
    let unknown = await reason(host(knownHosts: other.appending("empty_known_hosts").path))
    #expect(
      unknown.hasPrefix(
        "the host key of 127.0.0.1:\(server.port) is not in \(other.path)/empty_known_hosts"))
    #expect(unknown.contains("ssh-keyscan -p \(server.port) 127.0.0.1"))
    #expect(unknown.contains("ssh_host_key_checking: accept-new"))

    let line = try String(contentsOfFile: server.knownHosts, encoding: .utf8)
    let forged = line.replacingOccurrences(
      of: #"AAAA\S+"#, with: "AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl",
      options: .regularExpression)
    try other.write("forged_known_hosts", forged)
    let changed = await reason(host(knownHosts: other.appending("forged_known_hosts").path))
    #expect(changed.hasPrefix("the host key of 127.0.0.1:\(server.port) has CHANGED"))
    #expect(
      changed.contains(
        "ssh-keygen -f \(other.path)/forged_known_hosts -R '[127.0.0.1]:\(server.port)'"))

    // accept-new trusts an unknown key once and records it; a changed key is still refused.
    #expect(
      await reason(
        host(knownHosts: other.appending("empty_known_hosts").path, checking: .acceptNew))
        == "connected")
    // Recorded (hashed, as Debian's ssh_config asks), so a later strict check passes.
    #expect(try other.readText("empty_known_hosts").split(separator: "\n").count == 1)
    #expect(
      await reason(host(knownHosts: other.appending("empty_known_hosts").path)) == "connected")
    #expect(
      await reason(
        host(knownHosts: other.appending("forged_known_hosts").path, checking: .acceptNew)
      ).contains("has CHANGED"))
  }

  /// `ssh_options` reach ssh: with `HostKeyAlias` the host key is looked up under the alias.
  @Test func extraOptionsArePassedToSSH() async throws {
    let line = try String(contentsOfFile: server.knownHosts, encoding: .utf8)
    let keys = try TemporaryFolder("alias")
    try keys.write(
      "known_hosts", line.replacingOccurrences(of: "[127.0.0.1]:\(server.port)", with: "build-box"))
    var aliased = host(knownHosts: keys.appending("known_hosts").path)
    #expect(await reason(aliased).contains("is not in"))
    aliased.ssh.options = ["HostKeyAlias": "build-box"]
    #expect(await reason(aliased) == "connected")
  }

  /// A server that accepts the TCP connection but never speaks SSH.
  @Test func aSilentServerTimesOut() async throws {
    let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(listener) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let listening = withUnsafeMutablePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        bind(listener, $0, length) == 0 && listen(listener, 4) == 0
          && getsockname(listener, $0, &length) == 0
      }
    }
    #expect(listening)
    var silent = host(port: Int(UInt16(bigEndian: address.sin_port)))
    silent.ssh.connectTimeout = 1
    let said = await reason(silent)
    #expect(
      said
        == "connecting to 127.0.0.1:\(UInt16(bigEndian: address.sin_port)) timed out after 1s (`ssh_connect_timeout`)",
      "\(said)")
  }

  @Test func refusedAndUnauthorisedConnectionsSayWhy() async throws {
    let refusing = try ClosedPort()
    let closed = refusing.port
    #expect(
      await reason(host(port: closed))
        == "connection refused by 127.0.0.1:\(closed): is sshd running and listening there?")
    withExtendedLifetime(refusing) {}
    let stranger = try TemporaryFolder("stranger")
    let key = stranger.appending("key").path
    try SSHServer.keygen(key)
    let denied = await reason(host(key: key))
    #expect(
      denied.hasPrefix(
        "\(SSHServer.loginUser) could not log in to 127.0.0.1:\(server.port) (Permission denied"))
  }

  @Test func sudoRunsAsAnotherUserAndNeverPrompts() async throws {
    let ssh = try await connected()
    let asApp = SudoTransport(base: ssh, user: SSHServer.sudoTargetUser)
    #expect(
      try await asApp.run(ShellCommand("id", "-un")).stdoutText == "\(SSHServer.sudoTargetUser)\n")
    // A folder only the target user may write to.
    let appOnly = try SSHServer.ownedFolder("sudo-target", by: SSHServer.sudoTargetUser)
    chmod(appOnly.path, 0o700)
    let path = appOnly.appending("app's file").path
    try await asApp.put(Data("secret\n".utf8), at: path, attributes: FileAttributes(mode: 0o600))
    #expect(try await asApp.get(path) == Data("secret\n".utf8))
    var info = stat()
    #expect(stat(path, &info) == 0)
    #expect(info.st_uid == getpwnam(SSHServer.sudoTargetUser)?.pointee.pw_uid)
    await #expect(throws: TransportError.self) { _ = try await ssh.get(path) }

    let asRoot = SudoTransport(base: ssh, user: nil)
    do {
      _ = try await asRoot.run(ShellCommand("true"))
      Issue.record("sudo to root should need a password")
    } catch let error as TransportError {
      #expect(error.reason.hasPrefix("sudo to root asks for a password, and infra never types one"))
    }
    await ssh.disconnect()
  }
}
