import Foundation
import InfraTransport
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// Turns Ctrl-C (SIGINT), SIGTERM and SIGHUP (the terminal went away) into a graceful cancel of
/// the run in progress; a second signal exits at once (128 plus its number), as does a signal
/// before any run has started. SIGPIPE is ignored: a closed standard output (`| head`) stops
/// what infra prints, never the run, which ends as it would have, its locks released and its
/// end recorded.
///
/// The executable calls `install` first thing: from then on these signals are caught by a
/// handler that only writes their number to a pipe, and a thread of their own reads it and
/// acts. No signal can be lost between the start of the process and the start of a run, as
/// it could while a dispatch source was still being registered (on a busy machine, seconds
/// after it was created).
package enum Interrupts {
  /// What a signal does once a run has started.
  private struct Action {
    var message: String
    var console: Console
    var cancel: @Sendable () -> Void
  }

  private struct State {
    var action: Action?
    var received = false
  }

  private static let state = Mutex(State())

  /// What a run that changes nothing says when it is interrupted.
  static let closing = "interrupted; closing connections"

  /// Catches SIGINT, SIGTERM and SIGHUP, and ignores SIGPIPE, for the life of the process.
  /// Call it once, before anything else runs. (Programs infra starts get the default
  /// handling of every signal back.)
  package static func install() {
    guard let (reading, writing) = Descriptor.closeOnExecPipe() else { return }
    signalPipe = writing
    Thread.detachNewThread {
      var number: UInt8 = 0
      while true {
        let count = read(reading, &number, 1)
        if count < 0 && errno == EINTR { continue }
        guard count == 1 else { return }
        received(Int32(number))
      }
    }
    for signalNumber in [SIGINT, SIGTERM, SIGHUP] {
      _ = signal(signalNumber, forwardSignal)
    }
    _ = signal(SIGPIPE, SIG_IGN)
  }

  /// From now on, SIGINT, SIGTERM and SIGHUP call `cancel` once, after saying `message` on standard
  /// error; a second signal exits at once with 128 plus its number (130 for Ctrl-C, 143 for
  /// SIGTERM).
  static func cancelOnSignal(
    console: Console,
    message: String =
      "canceling: no new change starts, and the ones running finish (Ctrl-C again stops at once)",
    cancel: @escaping @Sendable () -> Void
  ) {
    state.withLock { $0.action = Action(message: message, console: console, cancel: cancel) }
  }

  private static func received(_ number: Int32) {
    let action = state.withLock { state -> Action? in
      defer { state.received = true }
      return state.received ? nil : state.action
    }
    guard let action else { _exit(128 + number) }
    action.console.error("\ninfra: \(action.message)\n")
    action.cancel()
  }
}

/// The write end of the pipe the signal handler writes to; set once, before any signal is
/// caught.
nonisolated(unsafe) private var signalPipe: Int32 = -1

/// The signal handler: async-signal-safe, it only writes the signal's number to the pipe.
private func forwardSignal(_ number: Int32) {
  var byte = UInt8(truncatingIfNeeded: number)
  _ = write(signalPipe, &byte, 1)
}
