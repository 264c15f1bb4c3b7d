import Dispatch

/// Does something once a time has passed, unless cancelled first: timeouts of commands, calls
/// and runs. On a dispatch queue rather than Swift's task pool, so that a timeout fires on time
/// even when every thread of the pool is busy.
package final class Deadline: Sendable {
  /// Dispatch's work items are thread-safe (`cancel` may be called from any thread), but not
  /// marked `Sendable` on Linux.
  private nonisolated(unsafe) let item: DispatchWorkItem

  /// Calls `action` after `delay`.
  package init(after delay: Duration, _ action: @escaping @Sendable () -> Void) {
    item = DispatchWorkItem(block: action)
    let (seconds, attoseconds) = delay.components
    let nanoseconds = max(0, Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000))
    DispatchQueue.global().asyncAfter(
      deadline: .now() + .nanoseconds(nanoseconds), execute: item)
  }

  /// Keeps the action from running, if it has not started yet.
  package func cancel() {
    item.cancel()
  }
}
