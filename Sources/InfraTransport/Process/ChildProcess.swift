import Foundation
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// A process `infra` started: the one way it starts any, whether it runs to completion
/// (`sh` for the local host, `ssh`, `git`: ``ProcessRunner``) or is talked to for a whole run
/// (connector, inventory and transport programs: ``ProgramChannel``).
///
/// Started with `posix_spawn` in a session of its own, so that it and everything it starts can
/// be stopped together and a Ctrl-C on the terminal reaches `infra` alone, with a clean signal
/// state whatever thread of `infra` starts it; reaped with `waitpid` on its own pid only, and
/// never signalled once reaped (its pid may then belong to another process). Every descriptor
/// `infra` opens for it is close-on-exec from the start, so a process started meanwhile by
/// another thread (an ssh master that lives for minutes) cannot inherit one and keep a pipe
/// open.
package final class ChildProcess: Sendable {
  /// Where one of the process's standard streams goes.
  package enum Stream: Sendable {
    case null
    /// A pipe to `infra`: it writes standard input with `write`, and reads the others from
    /// `output` and `errors`.
    case pipe
    /// A file: read for standard input, created or appended to for the others.
    case file(String)
    /// A descriptor `infra` opened, closed on its side once the process has started.
    case descriptor(Int32)
    /// `infra`'s own stream (its terminal), shared.
    case inherited
  }

  /// How a process ended.
  package enum Termination: Hashable, Sendable, CustomStringConvertible {
    case exited(Int32)
    case signaled(Int32)

    /// The exit code as shells report it: the code, or 128 + the signal.
    package var code: Int32 {
      switch self {
      case .exited(let code): code
      case .signaled(let signal): 128 + signal
      }
    }

    /// `exited with code 3`, `was killed by signal 9`.
    package var description: String {
      switch self {
      case .exited(let code): "exited with code \(code)"
      case .signaled(let signal): "was killed by signal \(signal)"
      }
    }
  }

  /// Why a process could not be started.
  package struct StartError: Error, CustomStringConvertible {
    package var description: String
  }

  package let pid: pid_t
  /// `infra`'s ends of the output pipes asked for, open for the life of this object.
  package let output: Int32?
  package let errors: Int32?
  /// `infra`'s end of the input pipe, until it is closed.
  private let input: Mutex<Int32?>
  private let termination = Mutex<Termination?>(nil)

  /// Starts `arguments` (the program, found on `PATH` unless it names a path, then its
  /// arguments) in `directory`, with `environment` (infra's own when `nil`).
  ///
  /// With `onTerminal`, it stays in infra's session (an editor a person works in, which needs
  /// the controlling terminal); otherwise it gets a session of its own.
  package init(
    _ arguments: [String], directory: String? = nil, environment: [String: String]? = nil,
    stdin: Stream = .null, stdout: Stream = .null, stderr: Stream = .null,
    onTerminal: Bool = false
  ) throws {
    guard let program = arguments.first else { throw StartError(description: "no program given") }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    var ours: [Int32?] = [nil, nil, nil]
    var theirs: [Int32] = []
    func fail(_ message: String) -> StartError {
      for descriptor in ours.compactMap({ $0 }) + theirs { _ = close(descriptor) }
      return StartError(description: "cannot start \(program): \(message)")
    }
    for (target, stream) in [stdin, stdout, stderr].enumerated() {
      let number = Int32(target)
      switch stream {
      case .null:
        posix_spawn_file_actions_addopen(
          &actions, number, "/dev/null", target == 0 ? O_RDONLY : O_WRONLY, 0)
      case .file(let path):
        let flags = target == 0 ? O_RDONLY : O_WRONLY | O_CREAT | O_APPEND
        posix_spawn_file_actions_addopen(&actions, number, path, flags, 0o644)
      case .descriptor(let descriptor):
        theirs.append(descriptor)
        posix_spawn_file_actions_adddup2(&actions, descriptor, number)
      case .inherited:
        break
      case .pipe:
        guard let ends = Descriptor.closeOnExecPipe() else {
          throw fail("cannot make a pipe: \(String(cString: strerror(errno)))")
        }
        let (child, parent) =
          target == 0 ? (ends.reading, ends.writing) : (ends.writing, ends.reading)
        theirs.append(child)
        ours[target] = parent
        posix_spawn_file_actions_adddup2(&actions, child, number)
      }
    }
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var none = sigset_t()
    sigemptyset(&none)
    var all = sigset_t()
    sigfillset(&all)
    posix_spawnattr_setsigmask(&attributes, &none)
    posix_spawnattr_setsigdefault(&attributes, &all)
    posix_spawnattr_setflags(
      &attributes,
      Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF) | (onTerminal ? 0 : spawnSetSession))
    // glibc's addchdir_np is not visible to Swift: change folder through sh, then exec.
    let command =
      directory.map { ["/bin/sh", "-c", #"cd "$0" && exec "$@""#, $0] + arguments } ?? arguments
    let argv = command.map { strdup($0) } + [nil]
    let env =
      (environment ?? ProcessInfo.processInfo.environment).map { strdup("\($0)=\($1)") } + [nil]
    defer {
      for pointer in argv { free(pointer) }
      for pointer in env { free(pointer) }
    }
    var pid: pid_t = 0
    let status =
      command[0].contains("/")
      ? posix_spawn(&pid, command[0], &actions, &attributes, argv, env)
      : posix_spawnp(&pid, command[0], &actions, &attributes, argv, env)
    for descriptor in theirs { _ = close(descriptor) }
    theirs = []
    guard status == 0 else { throw fail(String(cString: strerror(status))) }
    self.pid = pid
    input = Mutex(ours[0])
    (output, errors) = (ours[1], ours[2])
  }

  deinit {
    closeInput()
    for descriptor in [output, errors].compactMap({ $0 }) { _ = close(descriptor) }
  }

  /// How it ended, once it has been reaped.
  package var ended: Termination? { termination.withLock { $0 } }

  /// Sends `signal` to the process and everything it started (its session's process group),
  /// unless it has been reaped.
  package func signal(_ signal: Int32) {
    termination.withLock { ended in
      if ended == nil { _ = kill(-pid, signal) }
    }
  }

  /// Asks it to stop (SIGTERM to its group), and kills the group after `grace` if the process
  /// itself has not been reaped by then. Once it is reaped its pid may be reused, so nothing is
  /// sent to the group any more: what it started and left running must end on the SIGTERM.
  package func stop(grace: Duration = .seconds(2)) {
    signal(SIGTERM)
    Task.detached { [self] in
      try? await Task.sleep(for: grace)
      signal(SIGKILL)
    }
  }

  /// Waits for it to end, blocking the calling thread, and reaps it; later calls return how it
  /// ended. It is reaped under the same lock `signal` takes, so no signal can reach another
  /// process that was given its pid meanwhile.
  @discardableResult
  package func wait() -> Termination {
    if let ended { return ended }
    var info = siginfo_t()
    // Waits without reaping: the pid stays this process's until the lock below is held.
    while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) < 0 && errno == EINTR {}
    return termination.withLock { ended in
      if let ended { return ended }
      var status: Int32 = 0
      while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
      let signal = status & 0x7F
      let how: Termination = signal == 0 ? .exited((status >> 8) & 0xFF) : .signaled(signal)
      ended = how
      return how
    }
  }

  /// Waits for it to end on a thread of its own, without blocking any task's thread.
  package func waitForExit() async -> Termination {
    await withCheckedContinuation { continuation in
      Thread.detachNewThread { [self] in continuation.resume(returning: wait()) }
    }
  }

  /// Writes all of `data` to its standard input pipe; throws when it no longer reads it. A
  /// write to a process that has gone fails with an error, not a SIGPIPE: the signal is
  /// blocked on the writing thread for the write and a pending one consumed, so `infra`'s own
  /// SIGPIPE (a closed standard output) behaves as before.
  package func write(_ data: Data) throws {
    var pipeSignal = sigset_t()
    sigemptyset(&pipeSignal)
    sigaddset(&pipeSignal, SIGPIPE)
    var previous = sigset_t()
    pthread_sigmask(SIG_BLOCK, &pipeSignal, &previous)
    defer {
      var none = timespec(tv_sec: 0, tv_nsec: 0)
      while sigtimedwait(&pipeSignal, nil, &none) == SIGPIPE {}
      pthread_sigmask(SIG_SETMASK, &previous, nil)
    }
    // Held while writing: the descriptor is never closed (and its number reused) under a write.
    try input.withLock { input in
      guard let input else { throw StartError(description: "its input is closed") }
      guard Descriptor.writeAll(input, data) else {
        throw StartError(
          description: "its input is closed (\(String(cString: strerror(errno))))")
      }
    }
  }

  /// Closes `infra`'s end of its standard input, so that it reads the end of it; once.
  package func closeInput() {
    input.withLock { input in
      if let descriptor = input { _ = close(descriptor) }
      input = nil
    }
  }
}

/// glibc's `POSIX_SPAWN_SETSID` (a session of its own), which Swift's Glibc module does not
/// export.
private let spawnSetSession: Int16 = 0x80
