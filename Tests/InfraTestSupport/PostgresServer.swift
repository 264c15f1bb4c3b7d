import Foundation
import InfraTransport
import Synchronization

/// A throwaway PostgreSQL cluster for one test: `initdb` in a temporary folder, the server on
/// a free port of 127.0.0.1 with its socket in the same folder, stopped by its pid when
/// released. `scripts/test` installs Debian's `postgresql` when it is missing.
///
/// Run as root (as CI does), the cluster belongs to the `postgres` user (initdb refuses root)
/// and local socket connections use peer authentication, so `sudo -u postgres psql` is how a
/// host's own administrator reaches it; TCP connections from 127.0.0.1 are trusted.
package final class PostgresServer: Sendable {
  /// The user the server runs as, and its superuser role's name is `postgres` either way.
  package static let osUser = geteuid() == 0 ? "postgres" : SSHServer.loginUser

  package let folder: TemporaryFolder
  package let port: Int
  private let pid: Mutex<Int32?>

  /// The folder of the server's socket, for `host:` (peer authentication as root).
  package var socketFolder: String { folder.path }

  /// `passwordLogins` must give their password over TCP (SCRAM), so a test can show a
  /// password works; every other role is trusted from 127.0.0.1.
  package init(passwordLogins: [String] = []) throws {
    guard let bin = Self.binaries else {
      throw PostgresServerError(message: "PostgreSQL is not installed (scripts/test installs it)")
    }
    folder = try TemporaryFolder("postgres")
    chmod(folder.path, 0o755)
    if geteuid() == 0 { try ChildProcess.run("/bin/chown", [Self.osUser + ":", folder.path]) }
    let data = folder.appending("data").path
    let log = folder.appending("server.log").path
    let local = geteuid() == 0 ? "peer" : "trust"
    guard
      try Self.asOwner(
        "\(bin)/initdb",
        [
          "-D", data, "-U", "postgres", "--auth-host=trust", "--auth-local=\(local)", "-E",
          "UTF8", "--locale=C.UTF-8", "--no-sync", "--no-instructions",
        ], log: folder.appending("initdb.log").path) == 0
    else {
      throw PostgresServerError(
        message: "initdb failed: \((try? folder.readText("initdb.log")) ?? "")")
    }
    let trusted = "host all all 127.0.0.1/32 trust"
    let checked = passwordLogins.map {
      "host all \"\($0.replacingOccurrences(of: "\"", with: "\"\""))\" 127.0.0.1/32 scram-sha-256"
    }
    try (["local all all \(local)"] + checked + [trusted]).joined(separator: "\n")
      .write(toFile: data + "/pg_hba.conf", atomically: false, encoding: .utf8)
    for _ in 0..<5 {
      let port = try SSHServer.freePort()
      let server = try ChildProcess.spawn(
        "/usr/bin/setpriv",
        Self.owner + ["\(bin)/postgres"] + [
          "-D", data, "-p", String(port), "-k", folder.path, "-c", "listen_addresses=127.0.0.1",
          "-c", "fsync=off", "-c", "max_connections=30", "-c", "shared_buffers=16MB",
        ], stdout: log, stderr: log)
      switch Self.waitUntilReady(pid: server, port: port) {
      case .ready:
        self.port = port
        pid = Mutex(server)
        return
      case .ended: continue  // reaped already: its port was taken, say
      case .stuck:
        kill(server, SIGKILL)
        ChildProcess.wait(server)
      }
    }
    throw PostgresServerError(
      message: "the PostgreSQL server did not start: \((try? folder.readText("server.log")) ?? "")")
  }

  deinit { stop() }

  /// Starts a server as `init` does, on a thread of its own: initdb and the wait for the
  /// server take seconds, which an async test must not hold one of the task pool's threads for.
  package static func start(passwordLogins: [String] = []) async throws -> PostgresServer {
    try await withCheckedThrowingContinuation { continuation in
      Thread.detachNewThread {
        continuation.resume(with: Result { try PostgresServer(passwordLogins: passwordLogins) })
      }
    }
  }

  /// Stops the server (a fast shutdown) and waits for it to end.
  package func stop() {
    pid.withLock { pid in
      guard let running = pid else { return }
      kill(running, SIGINT)
      ChildProcess.wait(running)
      pid = nil
    }
  }

  /// Runs `sql` through psql over TCP as `user` (with `password`, for a role that needs one)
  /// and returns what it printed (unaligned, no headers); throws what psql said when it fails.
  @discardableResult
  package func sql(
    _ sql: String, user: String = "postgres", database: String = "postgres",
    password: String? = nil
  ) async throws -> String {
    let output = folder.appending("psql-\(UUID().uuidString.prefix(8)).out").path
    let code = try await ChildProcess.runToEnd(
      Self.binaries! + "/psql",
      [
        "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", String(port),
        "-U", user, "-d", database, "-c", sql,
      ], environment: password.map { ["PGPASSWORD": $0] }, stdout: output,
      stderr: output)
    let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
    try? FileManager.default.removeItem(atPath: output)
    guard code == 0 else { throw PostgresServerError(message: "psql failed: \(text)") }
    return text.trimmingCharacters(in: .newlines)
  }

  /// The newest installed PostgreSQL's programs, `/usr/lib/postgresql/<version>/bin`.
  package static let binaries: String? = {
    let base = "/usr/lib/postgresql"
    let versions = ((try? FileManager.default.contentsOfDirectory(atPath: base)) ?? [])
      .compactMap(Int.init).sorted()
    return versions.last.map { "\(base)/\($0)/bin" }
  }()

  /// `setpriv` arguments that run a program as the server's user (itself, when not root).
  private static var owner: [String] {
    geteuid() == 0
      ? ["--reuid=\(osUser)", "--regid=\(osUser)", "--init-groups", "--"] : ["--"]
  }

  private static func asOwner(_ path: String, _ arguments: [String], log: String) throws -> Int32 {
    try ChildProcess.run("/usr/bin/setpriv", owner + [path] + arguments, stdout: log, stderr: log)
  }

  /// Waits until the server answers a query: the port listening is not enough, a starting
  /// server refuses queries for a moment.
  private static func waitUntilReady(pid: pid_t, port: Int) -> Start {
    // A busy machine may take a while: up to 60 s, the loop ending once the server answers.
    for _ in 0..<600 {
      var status: Int32 = 0
      guard waitpid(pid, &status, WNOHANG) == 0 else { return .ended }
      let ready = try? ChildProcess.run(
        binaries! + "/pg_isready", ["-q", "-h", "127.0.0.1", "-p", String(port), "-t", "5"])
      if ready == 0 { return .ready }
      usleep(100_000)
    }
    return .stuck
  }

  private enum Start { case ready, ended, stuck }
}

package struct PostgresServerError: Error, CustomStringConvertible {
  package let message: String
  package var description: String { message }
}
