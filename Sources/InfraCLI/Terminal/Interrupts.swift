import Dispatch
import Foundation
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// Turns Ctrl-C (SIGINT) and SIGTERM into a graceful cancel of the run in progress; a second
/// signal exits at once.
enum Interrupts {
  /// Keeps the signal sources alive for the life of the process.
  nonisolated(unsafe) private static var sources: [any DispatchSourceSignal] = []
  private static let received = Atomic(false)

  /// What a run that changes nothing says when it is interrupted.
  static let closing = "interrupted; closing connections"

  /// From now on, SIGINT and SIGTERM call `cancel` once, after saying `message` on standard
  /// error; a second signal exits at once with 130.
  static func cancelOnSignal(
    console: Console,
    message: String =
      "canceling: no new change starts, and the ones running finish (Ctrl-C again stops at once)",
    cancel: @escaping @Sendable () -> Void
  ) {
    for signalNumber in [SIGINT, SIGTERM] {
      signal(signalNumber, SIG_IGN)
      let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
      source.setEventHandler {
        let (first, _) = received.compareExchange(
          expected: false, desired: true, ordering: .relaxed)
        if !first { _exit(130) }
        console.error("\ninfra: \(message)\n")
        cancel()
      }
      source.resume()
      sources.append(source)
    }
  }
}
