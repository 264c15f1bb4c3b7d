import Synchronization

/// Why a run stops early, once someone asked it to.
public enum StopReason: Sendable {
  /// Canceled: Ctrl-C, SIGTERM, `Run.cancel()` or Swift task cancellation.
  case canceled
  /// The run's time limit passed.
  case timeout
}

/// A flag that asks a run to stop starting new work; what is already running finishes.
public final class StopSignal: Sendable {
  private let reason = Mutex<StopReason?>(nil)

  public init() {}

  /// Asks to stop; the first reason given is the one that counts.
  public func stop(_ why: StopReason) {
    reason.withLock { current in
      if current == nil { current = why }
    }
  }

  public var isStopped: Bool { reason.withLock { $0 != nil } }
  public var stopReason: StopReason? { reason.withLock { $0 } }
}
