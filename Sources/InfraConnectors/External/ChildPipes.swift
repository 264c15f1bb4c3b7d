import Foundation
import InfraTransport
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// A long-lived child process with pipes to its three standard streams, in a process group of
/// its own so that it and everything it starts can be stopped together.
///
/// Started with `posix_spawn`, reaped with `waitpid` on its own pid only. Writes to a program
/// that has gone fail with an error instead of a signal: SIGPIPE is blocked on the writing
/// thread for the write and a pending one consumed, so infra's own SIGPIPE (a closed standard
/// output) behaves as before.
final class ChildPipes: Sendable {
  let pid: pid_t
  /// Our ends: writing to the child's input, reading its output and its errors.
  let input: Int32
  let output: Int32
  let errors: Int32
  /// Set once reaped: its pid and group may then belong to another process, never signalled.
  private let reaped = Atomic(false)

  struct Failure: Error, CustomStringConvertible {
    var description: String
  }

  init(_ arguments: [String], directory: String, environment: [String: String]) throws {
    guard let program = arguments.first else { throw Failure(description: "no program given") }
    var pipes: [[Int32]] = []
    for _ in 0..<3 {
      var ends: [Int32] = [0, 0]
      // Close-on-exec from the start: a process another thread spawns meanwhile (an ssh
      // master that lives for minutes) must not inherit an end and keep the pipe open.
      guard systemPipe2(&ends, O_CLOEXEC) == 0 else {
        for descriptor in pipes.joined() { _ = close(descriptor) }
        throw Failure(description: "cannot make a pipe: \(String(cString: strerror(errno)))")
      }
      pipes.append(ends)
    }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, pipes[0][0], 0)
    posix_spawn_file_actions_adddup2(&actions, pipes[1][1], 1)
    posix_spawn_file_actions_adddup2(&actions, pipes[2][1], 2)
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    // Its own process group, and a clean signal state whatever thread of infra spawns it.
    var none = sigset_t()
    sigemptyset(&none)
    var all = sigset_t()
    sigfillset(&all)
    posix_spawnattr_setsigmask(&attributes, &none)
    posix_spawnattr_setsigdefault(&attributes, &all)
    posix_spawnattr_setflags(
      &attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
    posix_spawnattr_setpgroup(&attributes, 0)
    // glibc's addchdir_np is not visible to Swift: change folder through sh, then exec.
    let command = ["/bin/sh", "-c", #"cd "$0" && exec "$@""#, directory] + arguments
    let argv = command.map { strdup($0) } + [nil]
    let env = environment.map { strdup("\($0)=\($1)") } + [nil]
    defer {
      for pointer in argv { free(pointer) }
      for pointer in env { free(pointer) }
    }
    var pid: pid_t = 0
    let status = posix_spawn(&pid, "/bin/sh", &actions, &attributes, argv, env)
    _ = close(pipes[0][0])
    _ = close(pipes[1][1])
    _ = close(pipes[2][1])
    guard status == 0 else {
      for descriptor in [pipes[0][1], pipes[1][0], pipes[2][0]] { _ = close(descriptor) }
      throw Failure(
        description: "cannot start \(program): \(String(cString: strerror(status)))")
    }
    self.pid = pid
    input = pipes[0][1]
    output = pipes[1][0]
    errors = pipes[2][0]
  }

  /// Writes all of `data` to the child's input; throws when the child no longer reads it.
  func write(_ data: Data) throws {
    var pipeSignal = sigset_t()
    sigemptyset(&pipeSignal)
    sigaddset(&pipeSignal, SIGPIPE)
    var previous = sigset_t()
    pthread_sigmask(SIG_BLOCK, &pipeSignal, &previous)
    defer {
      // A write to a closed pipe left a SIGPIPE pending on this thread: take it away.
      var none = timespec(tv_sec: 0, tv_nsec: 0)
      while sigtimedwait(&pipeSignal, nil, &none) == SIGPIPE {}
      pthread_sigmask(SIG_SETMASK, &previous, nil)
    }
    guard Descriptor.writeAll(input, data) else {
      throw Failure(description: "its input is closed (\(String(cString: strerror(errno))))")
    }
  }

  /// Reads what is there, up to `limit` bytes; empty at the end of the stream.
  static func read(_ descriptor: Int32, limit: Int = 1 << 16) -> Data {
    var buffer = [UInt8](repeating: 0, count: limit)
    while true {
      let count = Glibc.read(descriptor, &buffer, limit)
      if count < 0 && errno == EINTR { continue }
      return count <= 0 ? Data() : Data(buffer[0..<count])
    }
  }

  func closeInput() {
    _ = close(input)
  }

  /// Sends `signal` to the child's whole process group, unless it has been reaped.
  func signal(_ signal: Int32) {
    guard !reaped.load(ordering: .acquiring) else { return }
    _ = kill(-pid, signal)
  }

  /// Waits for the child to end and returns how: `exited with code 3`, `was killed by signal 9`.
  /// Stops it (SIGTERM, then SIGKILL) when it has not ended within `grace`.
  func reap(grace: Duration) -> String {
    let deadline = ContinuousClock.now + grace
    var status: Int32 = 0
    var stopping = 0
    while true {
      let result = waitpid(pid, &status, WNOHANG)
      if result == pid {
        reaped.store(true, ordering: .releasing)
        break
      }
      if result < 0 && errno != EINTR { return "ended (its status is unknown)" }
      if ContinuousClock.now >= deadline + .seconds(2 * stopping) {
        signal(stopping == 0 ? SIGTERM : SIGKILL)
        stopping += 1
      }
      usleep(10_000)
    }
    _ = close(output)
    _ = close(errors)
    let signal = status & 0x7F
    return signal == 0
      ? "exited with code \((status >> 8) & 0xFF)" : "was killed by signal \(signal)"
  }
}

/// glibc's `pipe2`, which Swift's Glibc module does not export.
@_silgen_name("pipe2")
private func systemPipe2(_ descriptors: UnsafeMutablePointer<Int32>, _ flags: Int32) -> Int32
