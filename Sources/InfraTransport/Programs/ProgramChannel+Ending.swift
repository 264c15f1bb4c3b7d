import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// How a conversation ends: a timeout, a protocol error, the program gone, or infra closing
/// it; every call in progress then fails with the first reason.
extension ProgramChannel {
  func timeOut(_ id: Int, _ message: String) async {
    let method = state.withLock { state -> String? in
      guard let method = state.pending[id]?.method else { return nil }
      if state.ended == nil { state.ended = message }
      return method
    }
    guard let method else { return }
    process.signal(SIGKILL)
    // The reading thread ends the conversation once the program is gone, with its last words
    // on standard error (which say what it was doing) and this reason. Should anything keep
    // its output open, the call still ends here.
    _ = await exit(within: .seconds(3))
    end(message, method: method)
  }

  /// A call whose task was cancelled (the run was stopped): it ends at once with
  /// `CancellationError`, and the program's late answer to it will be ignored. The program,
  /// which may serve other hosts meanwhile, goes on; closing the conversation stops it if it is
  /// still busy with the call then.
  func abandon(_ id: Int) {
    let waiting = state.withLock { state in
      let waiting = state.pending.removeValue(forKey: id)
      if waiting != nil { state.abandoned.insert(id) }
      return waiting
    }
    waiting?.continuation.resume(throwing: CancellationError())
  }

  /// Whether the program is busy with calls nobody waits for any more.
  var isBusyWithAbandonedCalls: Bool { state.withLock { !$0.abandoned.isEmpty } }

  /// Stops a program that is still busy (with calls in flight, or calls abandoned) when infra
  /// closes the conversation, with what infra was doing for it: it is not asked to shut down.
  func stopIfBusy() {
    let serving = state.withLock { state -> [Task<Void, Never>]? in
      guard state.ended == nil, !state.pending.isEmpty || !state.abandoned.isEmpty else {
        return nil
      }
      state.ended = "infra closed the conversation while it was busy with a call"
      defer { state.serving.removeAll() }
      return Array(state.serving.values)
    }
    guard let serving else { return }
    // What infra was doing for the program (a host/run) is of use to nobody now.
    for task in serving { task.cancel() }
    end(state.withLock { $0.ended } ?? "", method: nil)
    process.stop()
  }

  /// Called on the reading thread, which ends the conversation with this reason once the
  /// killed program's output closes.
  func protocolError(_ message: String) {
    state.withLock { if $0.ended == nil { $0.ended = message } }
    process.signal(SIGKILL)
  }

  /// Ends the conversation for `reason`, failing every call in progress; `method` names the
  /// call the reason is about, when it is about one.
  func end(_ reason: String, method: String?) {
    // The first reason stands: a timeout stays a timeout when the kill it causes is noticed.
    let (reason, pending) = state.withLock {
      state -> (String, [(String, CheckedContinuation<Data, any Error>)]) in
      if state.ended == nil { state.ended = reason }
      let pending = state.pending.values.map { ($0.method, $0.continuation) }
      state.pending.removeAll()
      return (state.ended ?? reason, pending)
    }
    if method != nil || !pending.isEmpty {
      process.signal(SIGKILL)
    }
    for (name, continuation) in pending {
      continuation.resume(throwing: failure(name, reason))
    }
  }

  /// How the program ended, once it has (waiting at most `limit`); `nil` if it has not.
  func exit(within limit: Duration) async -> String? {
    let deadline = ContinuousClock.now + limit
    while ContinuousClock.now < deadline {
      if let exit = state.withLock({ $0.exit }) { return exit }
      try? await Task.sleep(for: .milliseconds(10))
    }
    return state.withLock { $0.exit }
  }

  func failure(_ method: String, _ message: String) -> Failure {
    let tail = stderrTail.withLock { String(decoding: $0.suffix(2048), as: UTF8.self) }
    return Failure(program: name, method: method, message: message, stderr: tail)
  }
}
