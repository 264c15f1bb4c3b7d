import Foundation
import InfraCore
import InfraEngine
import Synchronization

extension FilesApplier {
  /// The ops an installer confirms, reported while its command still runs: the installer
  /// writes `ok` (NUL-terminated) for each op as it completes it, so progress and events follow
  /// the host rather than the end of the command.
  ///
  /// Only confirmations are reported here, in order, up to the first record that is not one:
  /// a failure needs the whole output (and what the stream withdrew) to be explained, and is
  /// reported with the command's result. `finish` says how many were reported.
  final class Confirmations: Sendable {
    private struct State {
      var pending = Data()
      var confirmed = 0
      var over = false
    }

    private let addresses: [Address]
    private let held: Address?
    private let report: @Sendable ([OpOutcome]) -> Void
    private let state = Mutex(State())
    private static let ok = Data("ok".utf8)

    /// `addresses` are the ops' in the order they are sent; `held` is one whose outcome waits
    /// for something else (the host's `on_change:` commands) and is not reported.
    init(
      _ addresses: [Address], holding held: Address?,
      report: @escaping @Sendable ([OpOutcome]) -> Void
    ) {
      (self.addresses, self.held, self.report) = (addresses, held, report)
    }

    /// Takes the next piece of the installer's output.
    func take(_ chunk: Data) {
      state.withLock { state in
        guard !state.over else { return }
        state.pending.append(chunk)
        guard let last = state.pending.lastIndex(of: 0) else { return }
        var confirmed: [OpOutcome] = []
        for record in state.pending[...last].split(separator: 0, omittingEmptySubsequences: true) {
          guard record.elementsEqual(Self.ok), state.confirmed < addresses.count else {
            state.over = true
            break
          }
          let address = addresses[state.confirmed]
          state.confirmed += 1
          if address != held { confirmed.append(OpOutcome(address: address, status: .applied)) }
        }
        if !confirmed.isEmpty { report(confirmed) }
        state.pending = state.over ? Data() : Data(state.pending[(last + 1)...])
      }
    }

    /// Ends the reporting; returns how many ops were reported (or held) as confirmed.
    func finish() -> Int {
      state.withLock { state in
        state.over = true
        return state.confirmed
      }
    }
  }
}
