import Foundation
import InfraTransport

#if canImport(Glibc)
  import Glibc
#endif

/// Programs the tests start (sshd, the `infra` binary, ssh-keygen...), through the one way
/// `infra` itself starts processes, and reaped with `waitpid` on their own pid only.
///
/// Tests do not use Foundation's `Process`: with both in one process, Foundation stopped reaping
/// its children (tests hung on `waitUntilExit` beside zombie processes).
extension ChildProcess {
  /// A pid that no process has and none ever will: one above Linux's `PID_MAX_LIMIT`
  /// (4,194,304), the highest `pid_max` can be raised to. Tests that need a writer or a lock
  /// holder whose process is gone use it rather than the pid of a child they started and
  /// reaped, which the system gives out again (pids wrap at 32,768 on these machines, and a
  /// busy suite goes through them in about a minute): CI once saw such a pid as alive.
  package static let pidNoProcessHas: pid_t = 4_194_305

  /// Starts `path` with `arguments`; standard streams go to the given files (or /dev/null).
  package static func spawn(
    _ path: String, _ arguments: [String], directory: String? = nil,
    environment: [String: String]? = nil, stdin: String? = nil, stdout: String? = nil,
    stderr: String? = nil
  ) throws -> pid_t {
    try ChildProcess(
      [path] + arguments, directory: directory, environment: environment,
      stdin: stdin.map(Stream.file) ?? .null, stdout: stdout.map(Stream.file) ?? .null,
      stderr: stderr.map(Stream.file) ?? .null
    ).pid
  }

  /// Starts `path` as `spawn` does, returning the process: it is never signalled once it has
  /// been reaped, so a test may stop it from another thread without hitting a process that
  /// was given its pid meanwhile.
  package static func start(
    _ path: String, _ arguments: [String], directory: String? = nil,
    environment: [String: String]? = nil, stdin: String? = nil, stdout: String? = nil,
    stderr: String? = nil
  ) throws -> ChildProcess {
    try ChildProcess(
      [path] + arguments, directory: directory, environment: environment,
      stdin: stdin.map(Stream.file) ?? .null, stdout: stdout.map(Stream.file) ?? .null,
      stderr: stderr.map(Stream.file) ?? .null)
  }

  /// Waits for `pid` to end; its exit code, or 128 + the signal that killed it.
  @discardableResult
  package static func wait(_ pid: pid_t) -> Int32 {
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 {
      if errno != EINTR { return -1 }
    }
    return code(status)
  }

  /// The exit code a wait status stands for, or 128 + the signal that ended the process.
  private static func code(_ status: Int32) -> Int32 {
    let signal = status & 0x7F
    return signal == 0 ? (status >> 8) & 0xFF : 128 + signal
  }

  /// What the kernel accounted for a process that ended (`wait4`), its children that it
  /// waited for included.
  package struct Usage: Sendable, Decodable {
    /// Its exit code, or 128 + the signal that ended it.
    package var code: Int32
    /// Its peak resident memory, in bytes.
    package var peak: Int
    /// The processor time it used, user and system, in seconds.
    package var cpuSeconds: Double
  }

  /// Runs `path` as `spawn` does, to its end, and returns what the kernel accounted for it.
  ///
  /// Linux keeps a process's peak memory across `exec`, and a child started by `vfork` (as
  /// `posix_spawn` starts them) begins with its parent's: a test process of 130 MiB made every
  /// child's peak at least that. So the program is started by a small Python process that
  /// forks it (a new process's peak starts from its parent's mere 10 MiB) and hands back its
  /// `wait4` accounting in `usage.json` of `scratch`.
  package static func measure(
    _ path: String, _ arguments: [String], directory: String, environment: [String: String],
    stdout: String, stderr: String, scratch: URL
  ) async throws -> Usage {
    let report = scratch.appending(path: "usage.json").path
    let script = """
      import json, os, sys
      pid = os.fork()
      if pid == 0:
          try:
              os.execv(sys.argv[2], sys.argv[2:])
          finally:
              os._exit(127)
      _, status, usage = os.wait4(pid, 0)
      code = os.waitstatus_to_exitcode(status)
      code = code if code >= 0 else 128 - code
      with open(sys.argv[1], "w") as out:
          json.dump({"code": code, "peak": usage.ru_maxrss * 1024,
                     "cpuSeconds": usage.ru_utime + usage.ru_stime}, out)
      sys.exit(code)
      """
    let pid = try spawn(
      "/usr/bin/python3", ["-c", script, report, path] + arguments, directory: directory,
      environment: environment, stdout: stdout, stderr: stderr)
    let code = await exit(of: pid)
    guard let data = FileManager.default.contents(atPath: report),
      let usage = try? JSONDecoder().decode(Usage.self, from: data)
    else { throw ChildProcessError(message: "\(path) was not measured: exit \(code)") }
    return usage
  }

  /// Waits for `pid` to end on a thread of its own (never on one of the task pool's few):
  /// its exit code, or 128 + the signal that killed it.
  package static func exit(of pid: pid_t) async -> Int32 {
    await withCheckedContinuation { continuation in
      Thread.detachNewThread { continuation.resume(returning: wait(pid)) }
    }
  }

  /// Runs a program to its end as `run` does, waiting on a thread of its own: for async tests,
  /// which must not hold one of the task pool's few threads while a program runs.
  @discardableResult
  package static func runToEnd(
    _ path: String, _ arguments: [String], directory: String? = nil,
    environment: [String: String]? = nil, stdin: String? = nil, stdout: String? = nil,
    stderr: String? = nil
  ) async throws -> Int32 {
    await exit(
      of: try spawn(
        path, arguments, directory: directory, environment: environment, stdin: stdin,
        stdout: stdout, stderr: stderr))
  }

  /// Runs a program to its end and returns its exit code.
  @discardableResult
  package static func run(
    _ path: String, _ arguments: [String], directory: String? = nil,
    environment: [String: String]? = nil, stdin: String? = nil, stdout: String? = nil,
    stderr: String? = nil
  ) throws -> Int32 {
    wait(
      try spawn(
        path, arguments, directory: directory, environment: environment, stdin: stdin,
        stdout: stdout, stderr: stderr))
  }
}

/// A program the tests could not start.
package struct ChildProcessError: Error, CustomStringConvertible {
  package let message: String

  package init(message: String) {
    self.message = message
  }

  package var description: String { message }
}

/// Whether process `pid` is alive and not a zombie: a killed child stays a zombie until
/// something reaps it.
package func isRunning(_ pid: Int32) -> Bool {
  guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
    let close = stat.lastIndex(of: ")")
  else { return false }
  let state = stat[stat.index(close, offsetBy: 2)]
  return state != "Z" && state != "X"
}

/// Every process below `pid` (its children, theirs, and so on), from /proc.
package func descendants(of pid: Int32) -> [Int32] {
  var parents: [Int32: Int32] = [:]
  for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
    guard let child = Int32(entry),
      let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
      let close = stat.lastIndex(of: ")")
    else { continue }
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    if fields.count > 1, let parent = Int32(fields[1]) { parents[child] = parent }
  }
  var found: [Int32] = []
  var frontier = [pid]
  while let next = frontier.popLast() {
    let children = parents.filter { $0.value == next }.map(\.key)
    found += children
    frontier += children
  }
  return found
}
