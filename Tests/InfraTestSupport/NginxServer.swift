import Foundation
import InfraTransport
import Synchronization

/// A real nginx for one test, in the foreground on a free port of 127.0.0.1: its prefix
/// folder holds its configuration, pid file, error log and temporary files, so nothing of the
/// machine's own nginx is read or written; stopped by its pid when released.
///
/// `scripts/test` installs Debian's `nginx-light` without starting its service.
package final class NginxServer: Sendable {
  package static let program = "/usr/sbin/nginx"

  package let folder: TemporaryFolder
  package let port: Int
  private let pid: Mutex<pid_t?>

  /// The configuration nginx reads: a test's repository manages it.
  package var configPath: String { folder.appending("conf/nginx.conf").path }
  /// `validate:` for its configuration: nginx checks the staged file.
  package var checkCommand: String { "\(Self.program) -t -q \(Self.base(folder, config: "%s"))" }
  /// `on_change:` for its configuration: the running nginx reads it again.
  package var reloadCommand: String {
    "\(Self.program) \(Self.base(folder)) -g 'pid \(folder.appending("nginx.pid").path);' -s reload"
  }

  /// Prefix, error log and configuration: nothing of the machine's own nginx.
  private static func base(_ folder: TemporaryFolder, config: String? = nil) -> String {
    "-p \(folder.path)/ -e \(folder.appending("error.log").path) -c \(config ?? folder.appending("conf/nginx.conf").path)"
  }

  /// Starts nginx with `config(port)` as its configuration.
  package init(config: (Int) -> String) throws {
    folder = try TemporaryFolder("nginx")
    chmod(folder.path, 0o755)
    var lastError = "nginx did not start"
    for _ in 0..<5 {
      let port = try SSHServer.freePort()
      try folder.write("conf/nginx.conf", config(port))
      let pid = try ChildProcess.spawn(
        "/bin/sh",
        [
          "-c",
          "exec \(Self.program) \(Self.base(folder)) -g 'daemon off; pid \(folder.appending("nginx.pid").path);'",
        ],
        stderr: folder.appending("stderr").path)
      if SSHServer.waitForListener(port: port, pid: pid) {
        self.port = port
        self.pid = Mutex(pid)
        return
      }
      kill(pid, SIGTERM)
      ChildProcess.wait(pid)
      lastError =
        ((try? folder.readText("stderr")) ?? "") + ((try? folder.readText("error.log")) ?? "")
    }
    throw ChildProcessError(message: "cannot start nginx: \(lastError)")
  }

  deinit {
    stop()
  }

  /// The body nginx serves at `path`, read with curl.
  package func get(_ path: String = "/") throws -> String {
    let scratch = try TemporaryFolder("nginx-get")
    let code = try ChildProcess.run(
      "/usr/bin/curl", ["-s", "--max-time", "30", "http://127.0.0.1:\(port)\(path)"],
      stdout: scratch.appending("body").path, stderr: scratch.appending("err").path)
    guard code == 0 else {
      throw ChildProcessError(message: "curl exited \(code): \(try scratch.readText("err"))")
    }
    return try scratch.readText("body")
  }

  package func stop() {
    pid.withLock { pid in
      guard let running = pid else { return }
      pid = nil
      kill(running, SIGTERM)
      ChildProcess.wait(running)
    }
  }
}
