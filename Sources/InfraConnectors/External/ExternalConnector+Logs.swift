import InfraCore
import InfraTransport

/// What a connector logs goes to the events of the host it is about, within caps per call, so
/// that a program logging without end costs infra neither memory nor a run's worth of events.
extension ExternalConnector {
  /// The most log lines, and bytes of them, kept of one call: a program that logs more has
  /// the rest counted, not kept.
  static let maxLogLines = 1_000
  static let maxLogBytes = 1 << 20
  /// The longest log line kept whole.
  static let maxLogLineBytes = 16 << 10

  /// A notification of the program: `log`, about the host it names, or the only one in
  /// flight (a program serving calls one at a time need not say).
  func notice(_ notification: IncomingRequest) {
    if notification.method == "secret" {
      for value in (try? notification.params(SecretParams.self))?.values ?? [] {
        SecretMask.shared.register(value)
      }
      return
    }
    guard notification.method == "log" else { return }
    // Past the caps of the only call in flight, a line is counted without being read further.
    let dropped = calls.withLock { calls -> Bool in
      guard calls.count == 1, let (host, call) = calls.first, Self.isFull(call) else {
        return false
      }
      calls[host]?.droppedLines += 1
      return true
    }
    guard !dropped, let params = try? notification.params(LogParams.self) else { return }
    var line = params.line()
    if line.message.utf8.count > Self.maxLogLineBytes {
      line.message = line.message.clipped(toBytes: Self.maxLogLineBytes)
    }
    let destination = calls.withLock { calls -> ProgramLog.Destination? in
      guard let host = params.host ?? (calls.count == 1 ? calls.first?.key : nil),
        var call = calls[host]
      else { return nil }
      defer { calls[host] = call }
      guard !Self.isFull(call) else {
        call.droppedLines += 1
        return nil
      }
      call.loggedLines += 1
      call.loggedBytes += line.message.utf8.count
      return call.log
    }
    destination?.receive(line)
  }

  /// Whether a call has logged all the lines, or bytes, that are kept of one call.
  private static func isFull(_ call: HostCall) -> Bool {
    call.loggedLines >= maxLogLines || call.loggedBytes >= maxLogBytes
  }
}
