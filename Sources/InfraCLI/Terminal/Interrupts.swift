import Dispatch
import Foundation
import InfraEngine
import Synchronization

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Closes a run's connections when `infra` is interrupted (Ctrl-C) or terminated, so no SSH
/// master outlives it; a second signal exits at once.
enum Interrupts {
  /// Keeps the signal sources alive for the life of the process.
  nonisolated(unsafe) private static var sources: [any DispatchSourceSignal] = []
  /// The exit code a received signal asks for (130 for SIGINT, 143 for SIGTERM), or 0.
  private static let received = Atomic<Int32>(0)

  /// The exit code of a received SIGINT or SIGTERM, once one has arrived.
  static var exitCode: Int32? {
    let code = received.load(ordering: .relaxed)
    return code == 0 ? nil : code
  }

  /// From now on, SIGINT and SIGTERM cancel `run` gracefully: no new op starts, ops already
  /// running finish, connections are closed, and the run ends as canceled. A second signal
  /// exits at once.
  static func cancelOnSignal(_ run: Run, console: Console) {
    for signalNumber in [SIGINT, SIGTERM] {
      signal(signalNumber, SIG_IGN)
      let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
      source.setEventHandler {
        let (first, _) = received.compareExchange(expected: 0, desired: 130, ordering: .relaxed)
        if !first { _exit(130) }
        console.error(
          "\ninfra: canceling: no new change starts, and the ones running finish (Ctrl-C again stops at once)\n"
        )
        run.cancel()
      }
      source.resume()
      sources.append(source)
    }
  }

  /// From now on, SIGINT and SIGTERM close `connections` and exit with 130 or 143.
  static func closeOnSignal(_ connections: HostConnections) {
    for (signalNumber, exitCode) in [(SIGINT, Int32(130)), (SIGTERM, Int32(143))] {
      signal(signalNumber, SIG_IGN)
      let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
      source.setEventHandler {
        let (first, _) = received.compareExchange(
          expected: 0, desired: exitCode, ordering: .relaxed)
        if !first { _exit(exitCode) }
        FileHandle.standardError.write(Data("\ninfra: interrupted; closing connections\n".utf8))
        Task {
          await connections.closeAll()
          exit(exitCode)
        }
      }
      source.resume()
      sources.append(source)
    }
  }
}
