import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// How a conversation ends: a timeout, an abandoned call, a protocol error, or the program
/// gone; every call in progress then fails with the first reason.
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
    for _ in 0..<300 where state.withLock({ $0.exit == nil }) {
      try? await Task.sleep(for: .milliseconds(10))
    }
    end(message, method: method)
  }

  /// A call whose task was cancelled: it ends with `CancellationError`, and the program, which
  /// may be in the middle of it, is stopped; the calls in flight with it fail.
  func abandon(_ id: Int, _ method: String) {
    let waiting = state.withLock { state in
      if state.ended == nil {
        state.ended = "infra stopped it while it answered '\(method)', as the run was stopped"
      }
      return state.pending.removeValue(forKey: id)
    }
    waiting?.continuation.resume(throwing: CancellationError())
    process.stop()
    end(state.withLock { $0.ended } ?? "", method: nil)
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
    let (reason, pending, serving) = state.withLock {
      state -> (String, [(String, CheckedContinuation<Data, any Error>)], [Task<Void, Never>]) in
      if state.ended == nil { state.ended = reason }
      let pending = state.pending.values.map { ($0.method, $0.continuation) }
      state.pending.removeAll()
      defer { state.serving.removeAll() }
      return (state.ended ?? reason, pending, Array(state.serving.values))
    }
    // What infra was doing for the program (a host/run) is of use to nobody now.
    for task in serving { task.cancel() }
    if method != nil || !pending.isEmpty {
      process.signal(SIGKILL)
    }
    for (name, continuation) in pending {
      continuation.resume(throwing: failure(name, reason))
    }
  }

  func failure(_ method: String, _ message: String) -> Failure {
    let tail = stderrTail.withLock { String(decoding: $0.suffix(2048), as: UTF8.self) }
    return Failure(program: name, method: method, message: message, stderr: tail)
  }
}
