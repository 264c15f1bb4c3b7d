import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Starts programs with `posix_spawn` and reaps exactly their pids with `waitpid`.
///
/// Tests do not use Foundation's `Process`: all test targets share one process with
/// swift-subprocess, and with both in use Foundation stopped reaping its children (tests hung
/// on `waitUntilExit` beside zombie processes).
public enum ChildProcess {
  /// Starts `path` with `arguments`; standard streams go to the given files (or /dev/null).
  public static func spawn(
    _ path: String, _ arguments: [String], directory: String? = nil,
    environment: [String: String]? = nil, stdin: String? = nil, stdout: String? = nil,
    stderr: String? = nil
  ) throws -> pid_t {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, stdin ?? "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(
      &actions, 1, stdout ?? "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0o644)
    posix_spawn_file_actions_addopen(
      &actions, 2, stderr ?? "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0o644)
    // glibc's addchdir_np is not visible to Swift: change folder through sh, then exec.
    let command =
      directory.map { ["/bin/sh", "-c", #"cd "$0" && exec "$@""#, $0, path] + arguments }
      ?? [path] + arguments
    let argv = command.map { strdup($0) } + [nil]
    let env =
      (environment ?? ProcessInfo.processInfo.environment).map { strdup("\($0)=\($1)") }
      + [nil]
    defer {
      for pointer in argv { free(pointer) }
      for pointer in env { free(pointer) }
    }
    // A clean signal state, as a shell gives its commands: whatever thread of the test
    // process spawns, the child starts with no signal blocked and every one at its default.
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var none = sigset_t()
    sigemptyset(&none)
    var all = sigset_t()
    sigfillset(&all)
    posix_spawnattr_setsigmask(&attributes, &none)
    posix_spawnattr_setsigdefault(&attributes, &all)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
    var pid: pid_t = 0
    let status = posix_spawn(&pid, command[0], &actions, &attributes, argv, env)
    guard status == 0 else {
      throw ChildProcessError(message: "cannot start \(path): \(String(cString: strerror(status)))")
    }
    return pid
  }

  /// Waits for `pid` to end; its exit code, or 128 + the signal that killed it.
  @discardableResult
  public static func wait(_ pid: pid_t) -> Int32 {
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 {
      if errno != EINTR { return -1 }
    }
    let signal = status & 0x7F
    return signal == 0 ? (status >> 8) & 0xFF : 128 + signal
  }

  /// Runs a program to its end and returns its exit code.
  @discardableResult
  public static func run(
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

public struct ChildProcessError: Error, CustomStringConvertible {
  public let message: String

  public init(message: String) {
    self.message = message
  }

  public var description: String { message }
}
