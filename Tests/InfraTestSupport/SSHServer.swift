import Foundation
import InfraTransport
import Synchronization

/// A real OpenSSH server on 127.0.0.1 for one test: a free port, fresh host and client keys,
/// a verbose log to count logins, stopped by its pid when released.
///
/// Run as root (as CI does), it logs in as the dedicated user `infratest`, whose shell is
/// `/bin/sh` (so no `.bashrc` runs on each command); otherwise as the user running the tests.
/// `scripts/test` installs `openssh-server` and `sudo` and creates the users.
package final class SSHServer: Sendable {
  /// The user tests log in as.
  package static let loginUser = geteuid() == 0 ? "infratest" : currentUserName()
  /// A second user, that `loginUser` may become with `sudo -n` (see scripts/test).
  package static let sudoTargetUser = "infratest-app"

  package let folder: TemporaryFolder
  package let port: Int
  /// The listening sshd's pid; a new one after `restart`.
  package var pid: Int32 { running.withLock { $0.pid } }
  private let running: Mutex<(pid: Int32, stopped: Bool)>

  package var clientKey: String { folder.appending("client_key").path }
  /// A known_hosts file that holds this server's real host key.
  package var knownHosts: String { folder.appending("known_hosts").path }
  package var log: String { folder.appending("sshd.log").path }

  /// `extraConfig` is added to sshd's configuration (a `ForceCommand`, say).
  package init(extraConfig: String = "") throws {
    folder = try TemporaryFolder("sshd")
    // sshd reads authorized_keys as the login user, who must be able to reach it.
    chmod(folder.path, 0o755)
    try Self.keygen(folder.appending("host_key").path)
    try Self.keygen(folder.appending("client_key").path)
    try FileManager.default.copyItem(
      at: folder.appending("client_key.pub"), to: folder.appending("authorized_keys"))
    chmod(folder.appending("authorized_keys").path, 0o644)
    if geteuid() == 0 {
      // sshd's privilege separation folder; a fresh machine may not have it yet.
      try? FileManager.default.createDirectory(
        atPath: "/run/sshd", withIntermediateDirectories: true,
        attributes: [.posixPermissions: 0o755])
    }

    var lastError = "sshd did not start"
    for _ in 0..<5 {
      let port = try Self.freePort()
      try folder.write(
        "sshd_config", Self.config(folder: folder.path, port: port) + "\n" + extraConfig)
      let pid = try ChildProcess.spawn(
        "/usr/sbin/sshd",
        ["-D", "-f", folder.appending("sshd_config").path, "-E", folder.appending("sshd.log").path])
      if Self.waitForListener(port: port, pid: pid) {
        self.port = port
        running = Mutex((pid, false))
        let hostKey = try folder.readText("host_key.pub").split(separator: " ").prefix(2)
          .joined(separator: " ")
        try folder.write("known_hosts", "[127.0.0.1]:\(port) \(hostKey)\n")
        return
      }
      kill(pid, SIGTERM)
      ChildProcess.wait(pid)
      lastError = (try? folder.readText("sshd.log")) ?? lastError
    }
    throw SSHServerError(message: "cannot start sshd: \(lastError)")
  }

  deinit {
    stop()
  }

  /// Stops the server (once): from now on its port refuses connections, as a host that went
  /// down does.
  package func stop() {
    running.withLock { running in
      guard !running.stopped else { return }
      running.stopped = true
      kill(running.pid, SIGTERM)
      ChildProcess.wait(running.pid)
    }
  }

  /// Kills sshd outright, the listener and every connection's sshd processes (not what they
  /// run), as a host whose sshd crashed or restarted: open connections drop at once.
  package func cut() {
    running.withLock { running in
      guard !running.stopped else { return }
      running.stopped = true
      let sessions = descendants(of: running.pid).filter { Self.command(of: $0) == "sshd" }
      kill(running.pid, SIGKILL)
      for session in sessions { kill(session, SIGKILL) }
      ChildProcess.wait(running.pid)
    }
  }

  /// Starts sshd again on the same port, with the same keys, after `stop` or `cut`.
  package func restart() throws {
    try running.withLock { running in
      guard running.stopped else { return }
      let pid = try ChildProcess.spawn(
        "/usr/sbin/sshd",
        ["-D", "-f", folder.appending("sshd_config").path, "-E", folder.appending("sshd.log").path])
      guard Self.waitForListener(port: port, pid: pid) else {
        kill(pid, SIGTERM)
        ChildProcess.wait(pid)
        throw SSHServerError(message: "sshd did not start again on port \(port)")
      }
      running = (pid, false)
    }
  }

  private static func command(of pid: Int32) -> String {
    ((try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8)) ?? "")
      .trimmingCharacters(in: .whitespacesAndNewlines)
  }

  /// How many times a client logged in: one SSH handshake each.
  package func logins() throws -> Int {
    // sshd ends its log lines with "\r\n", a single Character: split on any newline.
    try String(contentsOfFile: log, encoding: .utf8).split(whereSeparator: \.isNewline)
      .count { $0.contains("Accepted publickey") }
  }

  /// Waits until sshd has logged at least `logins` logins and every login has ended (no master
  /// outlived its client): `(logins, ended)` then, or as they were when it gave up after
  /// 30 s. sshd writes a connection's lines from that connection's own processes, a moment
  /// after the client may already have exited, so the loop ends as soon as the counts meet.
  package func endedLogins(atLeast logins: Int = 0) async throws -> (logins: Int, ended: Int) {
    var counts = (logins: 0, ended: 0)
    for _ in 0..<300 {
      let text = try String(contentsOfFile: log, encoding: .utf8)
      counts = (
        text.components(separatedBy: "Accepted publickey").count - 1,
        text.components(separatedBy: "Disconnected from user").count - 1
      )
      if counts.logins >= logins, counts.logins == counts.ended { break }
      try await Task.sleep(for: .milliseconds(100))
    }
    return counts
  }

  /// A host entry for infra.yaml that reaches this server as `user`. Its connect timeout is
  /// long: a machine busy with the rest of the suite may take seconds to answer a handshake,
  /// and no test here is about a slow host. Its connection closes when each run ends
  /// (`ssh_persist: 0`), so that nothing a test started outlives it, unless `persist` says
  /// otherwise (`nil`: infra's default).
  package func hostYAML(
    _ name: String, user: String = SSHServer.loginUser, extraData: String = "", persist: Int? = 0
  ) -> String {
    """
      \(name):
        connect: ssh://\(user)@127.0.0.1:\(port)
        data:
          ssh_identity_file: \(clientKey)
          ssh_known_hosts_file: \(knownHosts)
          ssh_connect_timeout: 120\(persist.map { "\n      ssh_persist: \($0)" } ?? "")
    \(extraData.isEmpty ? "" : "      " + extraData)
    """
  }

  /// A folder the login user owns, for files the tests write over SSH.
  package static func ownedFolder(_ label: String, by user: String = loginUser) throws
    -> TemporaryFolder
  {
    let folder = try TemporaryFolder(label)
    chmod(folder.path, 0o755)
    if geteuid() == 0, let entry = getpwnam(user) {
      chown(folder.path, entry.pointee.pw_uid, entry.pointee.pw_gid)
    }
    return folder
  }

  /// Gives everything in `folder` to `user` and its group, after a test wrote into it as itself.
  package static func giveAway(_ folder: TemporaryFolder, to user: String = loginUser) throws {
    guard geteuid() == 0 else { return }
    try ChildProcess.run("/bin/chown", ["-R", user + ":", folder.path])
  }

  // MARK: setup

  private static func config(folder: String, port: Int) -> String {
    """
    Port \(port)
    ListenAddress 127.0.0.1
    HostKey \(folder)/host_key
    PidFile none
    AuthorizedKeysFile \(folder)/authorized_keys
    PasswordAuthentication no
    KbdInteractiveAuthentication no
    PubkeyAuthentication yes
    UsePAM no
    StrictModes no
    AllowUsers \(loginUser)
    LogLevel VERBOSE
    MaxSessions 100
    MaxStartups 100
    """
  }

  package static func keygen(_ path: String) throws {
    guard
      try ChildProcess.run("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", path])
        == 0
    else {
      throw SSHServerError(message: "ssh-keygen failed for \(path)")
    }
  }

  /// A port nobody listens on right now (another may take it once this returns).
  package static func freePort() throws -> Int {
    try ClosedPort().port
  }

  package static func waitForListener(port: Int, pid: pid_t) -> Bool {
    // A busy machine may take a while to start it: up to 30 s, the loop ending once it listens.
    for _ in 0..<1500 {
      var status: Int32 = 0
      guard waitpid(pid, &status, WNOHANG) == 0 else { return false }
      if canConnect(port: port) { return true }
      usleep(20_000)
    }
    return false
  }

  private static func canConnect(port: Int) -> Bool {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(descriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = UInt16(port).bigEndian
    return withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
      }
    }
  }

  private static func currentUserName() -> String {
    getpwuid(geteuid()).map { String(cString: $0.pointee.pw_name) } ?? "root"
  }
}

package struct SSHServerError: Error, CustomStringConvertible {
  package let message: String
  package var description: String { message }
}

/// A port of 127.0.0.1 that refuses connections for as long as this lives: bound and not
/// listening, so no other test's server can be given it (a port that was merely free when it
/// was chosen once went to another test's sshd, which then answered where a refusal was due).
package final class ClosedPort: Sendable {
  package let port: Int
  private let descriptor: Int32

  package init() throws {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0
      }
    }
    guard bound else {
      close(descriptor)
      throw SSHServerError(message: "cannot find a free port")
    }
    self.descriptor = descriptor
    port = Int(UInt16(bigEndian: address.sin_port))
  }

  deinit { close(descriptor) }
}
