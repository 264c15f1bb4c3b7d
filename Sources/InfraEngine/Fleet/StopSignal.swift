import Synchronization

/// Why a run stops early, once someone asked it to.
package enum StopReason: Sendable {
  /// Canceled: Ctrl-C, SIGTERM, `Run.cancel()` or Swift task cancellation.
  case canceled
  /// The run's time limit passed.
  case timeout
}

/// Asks a run to stop: work that may be cut short (reading, planning, connecting) is
/// cancelled at once, and no new op starts; an op already running finishes.
package final class StopSignal: Sendable {
  private struct State {
    var reason: StopReason?
    var waiting: [Int: CheckedContinuation<Void, Never>] = [:]
    var nextWaiter = 0
  }

  private let state = Mutex(State())

  package init() {}

  /// Asks to stop; the first reason given is the one that counts.
  package func stop(_ why: StopReason) {
    let waiting = state.withLock { state -> [CheckedContinuation<Void, Never>] in
      guard state.reason == nil else { return [] }
      state.reason = why
      defer { state.waiting.removeAll() }
      return Array(state.waiting.values)
    }
    for continuation in waiting { continuation.resume() }
  }

  package var isStopped: Bool { state.withLock { $0.reason != nil } }
  package var stopReason: StopReason? { state.withLock { $0.reason } }

  /// Returns once the run is asked to stop, or once the waiting task is cancelled.
  package func wait() async {
    let waiter = state.withLock { state -> Int in
      defer { state.nextWaiter += 1 }
      return state.nextWaiter
    }
    await withTaskCancellationHandler {
      await withCheckedContinuation { continuation in
        let resumeNow = state.withLock { state -> Bool in
          if state.reason != nil || Task.isCancelled { return true }
          state.waiting[waiter] = continuation
          return false
        }
        if resumeNow { continuation.resume() }
      }
    } onCancel: {
      let continuation = state.withLock { $0.waiting.removeValue(forKey: waiter) }
      continuation?.resume()
    }
  }
}
