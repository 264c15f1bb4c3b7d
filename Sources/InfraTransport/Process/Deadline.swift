import Dispatch
import Synchronization

/// Does something once a time has passed, unless cancelled first: timeouts of commands, calls
/// and runs. On a dispatch queue rather than Swift's task pool, so that a timeout fires on time
/// even when every thread of the pool is busy.
package final class Deadline: Sendable {
  private let fired = Flag()
  /// Dispatch's work items are thread-safe (`cancel` may be called from any thread), but not
  /// marked `Sendable` on Linux.
  private nonisolated(unsafe) let item: DispatchWorkItem

  /// Calls `action` after `delay`.
  package init(after delay: Duration, _ action: @escaping @Sendable () -> Void) {
    let fired = fired
    item = DispatchWorkItem {
      fired.raise()
      action()
    }
    let (seconds, attoseconds) = delay.components
    let nanoseconds = max(0, Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000))
    DispatchQueue.global().asyncAfter(
      deadline: .now() + .nanoseconds(nanoseconds), execute: item)
  }

  /// Whether the time passed and the action ran (or is running).
  package var hasFired: Bool { fired.isRaised }

  /// Keeps the action from running, if it has not started yet.
  package func cancel() {
    item.cancel()
  }
}

/// A flag raised once, readable from any thread.
private final class Flag: Sendable {
  private let value = Atomic(false)

  func raise() { value.store(true, ordering: .releasing) }
  var isRaised: Bool { value.load(ordering: .acquiring) }
}
