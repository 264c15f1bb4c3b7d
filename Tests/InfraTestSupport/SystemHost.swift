import Foundation
import InfraTransport
import Synchronization

/// A Debian 12 host of one test's own, booted by `systemd-nspawn` from the root that
/// `scripts/test-host-root` caches, over a throwaway overlay: packages, accounts and services
/// change there, never on the machine running the suite, and are gone when it stops.
///
/// It shares this machine's network; its sshd listens on a free port of 127.0.0.1 and lets the
/// user `infratest` (shell `/bin/sh`, passwordless sudo to root) log in with a key made for
/// this host. With `systemd: false` it runs sshd alone, with no service manager, as a
/// container or an old server without systemd does. Stopped by its pid when released.
package final class SystemHost: Sendable {
  /// The user tests log in as.
  package static let loginUser = "infratest"
  /// The cached root file system: `INFRA_TEST_HOST_ROOT` (which `scripts/test` sets), or what
  /// `scripts/test-host-root` says, which makes it when it is missing.
  package static func cachedRoot() async throws -> String {
    if let root = ProcessInfo.processInfo.environment["INFRA_TEST_HOST_ROOT"] { return root }
    let scratch = try TemporaryFolder("host-root")
    let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .appending(path: "../../scripts/test-host-root").standardized.path
    let code = try await ChildProcess.runToEnd(
      script, [], stdout: scratch.appending("out").path, stderr: scratch.appending("err").path)
    let root = ((try? scratch.readText("out")) ?? "").trimmingCharacters(
      in: .whitespacesAndNewlines)
    guard code == 0, !root.isEmpty else {
      throw ChildProcessError(
        message:
          "scripts/test-host-root failed (exit \(code)): \((try? scratch.readText("err")) ?? "")")
    }
    return root
  }

  /// The root file system this host booted from (read-only: the host writes to an overlay).
  package let rootFileSystem: String

  package let folder: TemporaryFolder
  package let port: Int
  package let systemd: Bool
  private let process: ChildProcess
  private let stopped = Mutex(false)

  /// The host's apt repository (`deb [trusted=yes] file:/srv/infra-repo ./` inside), which a
  /// test fills with `AptRepository`.
  package var repository: URL { folder.appending("repo") }
  package var clientKey: String { folder.appending("client_key").path }
  package var knownHosts: String { folder.appending("known_hosts").path }
  package var console: String { folder.appending("console.log").path }

  /// Boots the host and waits until its sshd lets the test user in. At most two hosts run at
  /// once: a booting system is busy, and the rest of the suite shares the machine's two cores.
  package init(systemd: Bool = true) async throws {
    await Self.slots.acquire()
    var booted = false
    defer { if !booted { Task { await Self.slots.release() } } }
    rootFileSystem = try await Self.cachedRoot()
    let root = rootFileSystem
    guard FileManager.default.fileExists(atPath: root + "/.infra-test-host") else {
      throw ChildProcessError(
        message:
          "no test host root at \(root): run scripts/test (or scripts/test-host-root) first")
    }
    folder = try TemporaryFolder("host")
    self.systemd = systemd
    try SSHServer.keygen(folder.appending("client_key").path)
    try FileManager.default.createDirectory(
      at: folder.appending("keys"), withIntermediateDirectories: true)
    try FileManager.default.copyItem(
      at: folder.appending("client_key.pub"), to: folder.appending("keys/authorized_keys"))
    try FileManager.default.createDirectory(
      at: folder.appending("repo"), withIntermediateDirectories: true)
    _ = try folder.write("repo/Packages", "")
    port = try SSHServer.freePort()
    _ = try folder.write(
      "sshd.conf",
      """
      Port \(port)
      ListenAddress 127.0.0.1
      AuthorizedKeysFile /etc/infra-test/authorized_keys
      PasswordAuthentication no
      KbdInteractiveAuthentication no
      StrictModes no
      AllowUsers \(Self.loginUser)
      MaxSessions 100
      MaxStartups 100

      """)
    let hostKey = try String(
      contentsOfFile: root + "/etc/ssh/ssh_host_ed25519_key.pub", encoding: .utf8
    ).split(separator: " ").prefix(2).joined(separator: " ")
    _ = try folder.write("known_hosts", "[127.0.0.1]:\(port) \(hostKey)\n")
    let name = "infra-test-\(getpid())-\(port)"
    var arguments = [
      "-D", root, "-M", name, "--register=no", "--keep-unit", "--volatile=overlay",
      "--bind-ro=\(folder.appending("sshd.conf").path):/etc/ssh/sshd_config.d/infra-test.conf",
      "--bind-ro=\(folder.appending("keys").path):/etc/infra-test",
      "--bind=\(folder.appending("repo").path):/srv/infra-repo",
    ]
    arguments +=
      systemd
      ? ["-b"]
      : ["--as-pid2", "/bin/sh", "-c", "mkdir -p /run/sshd && exec /usr/sbin/sshd -D -e"]
    process = try ChildProcess.start(
      "/usr/bin/systemd-nspawn", arguments, stdout: folder.appending("console.log").path,
      stderr: folder.appending("console.log").path)
    booted = true
    do {
      try await waitForLogin()
    } catch {
      await shutdown()
      throw error
    }
  }

  private static let slots = Slots(2)

  /// A counting semaphore for tasks.
  private actor Slots {
    private var free: Int
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(_ count: Int) { free = count }

    func acquire() async {
      if free > 0 {
        free -= 1
        return
      }
      await withCheckedContinuation { waiting.append($0) }
    }

    func release() {
      if waiting.isEmpty {
        free += 1
      } else {
        waiting.removeFirst().resume()
      }
    }
  }

  deinit {
    stop()
  }

  /// Shuts the host down (once) and waits for it: SIGTERM to systemd-nspawn, which stops the
  /// container cleanly. Tests call it at their end; a host released without it is stopped
  /// then, blocking.
  package func shutdown() async {
    guard signalStop() else { return }
    _ = await process.waitForExit()
    await Self.slots.release()
  }

  private func stop() {
    guard signalStop() else { return }
    process.wait()
    Task { await Self.slots.release() }
  }

  /// Sends the stop the first time it is called; whether it did.
  private func signalStop() -> Bool {
    let first = stopped.withLock { stopped in
      defer { stopped = true }
      return !stopped
    }
    if first { process.signal(SIGTERM) }
    return first
  }

  /// Until `infratest` can log in: a booted systemd answers in seconds, a busy machine later.
  private func waitForLogin() async throws {
    var last = ""
    for _ in 0..<600 {
      guard isRunning(process.pid) else {
        throw ChildProcessError(
          message:
            "the test host stopped while booting: \((try? folder.readText("console.log")) ?? "")")
      }
      let (code, output) = try await ssh(["true"], timeout: 5)
      if code == 0 { return }
      last = output
      try await Task.sleep(for: .milliseconds(250))
    }
    throw ChildProcessError(message: "the test host did not let \(Self.loginUser) in: \(last)")
  }

  /// Options that reach this host with its key and known host key, for `ssh` or infra.yaml.
  package var sshOptions: [String] {
    [
      "-i", clientKey, "-o", "UserKnownHostsFile=\(knownHosts)", "-o", "StrictHostKeyChecking=yes",
      "-o", "BatchMode=yes", "-o", "LogLevel=ERROR", "-p", String(port),
    ]
  }

  private func ssh(_ command: [String], timeout: Int = 60) async throws -> (Int32, String) {
    let output = folder.appending("ssh-\(UUID().uuidString).out").path
    defer { try? FileManager.default.removeItem(atPath: output) }
    let code = try await ChildProcess.runToEnd(
      "/usr/bin/ssh",
      sshOptions + ["-o", "ConnectTimeout=\(timeout)", "\(Self.loginUser)@127.0.0.1"] + command,
      stdout: output, stderr: output)
    return (code, (try? String(contentsOfFile: output, encoding: .utf8)) ?? "")
  }

  /// Runs a shell command as root on the host: its exit code and what it printed (standard
  /// output and error together, without the last line break).
  @discardableResult
  package func root(_ command: String) async throws -> (code: Int32, output: String) {
    let (code, output) = try await ssh(["sudo -n sh -c \(shellQuote(command))"])
    // sudo warns when the host name does not resolve; nothing a test asks about.
    let lines = output.split(separator: "\n", omittingEmptySubsequences: false).filter {
      !$0.hasPrefix("sudo: unable to resolve host")
    }
    var text = lines.joined(separator: "\n")
    while text.hasSuffix("\n") { text.removeLast() }
    return (code, text)
  }

  /// `root`, for a command that must succeed: its output.
  package func must(_ command: String) async throws -> String {
    let (code, output) = try await root(command)
    guard code == 0 else {
      throw ChildProcessError(
        message: "`\(command)` failed on the test host (exit \(code)): \(output)")
    }
    return output
  }

  /// A host entry for infra.yaml that reaches this host as `infratest` with sudo to root.
  package func hostYAML(_ name: String, sudo: Bool = true) -> String {
    """
      \(name):
        connect: ssh://\(Self.loginUser)@127.0.0.1:\(port)
        sudo: \(sudo)
        data:
          ssh_identity_file: \(clientKey)
          ssh_known_hosts_file: \(knownHosts)
          ssh_connect_timeout: 120
          ssh_persist: 0

    """
  }
}
