import InfraCore

/// Where what a connector logs during a call goes: the run's events (`connector_log`). The
/// planner and applier set it around each connector call; a connector reads it at the start
/// of the call (e.g. an external program's `log` notifications are forwarded to it).
public enum ConnectorLog {
  public typealias Sink = @Sendable (_ level: Level, _ message: String, _ address: Address?) -> Void

  public enum Level: String, Sendable, CaseIterable {
    case debug, info, warning, error
  }

  /// A sink, boxed so that the task-local value is a class reference: with an optional
  /// closure as the task-local's type, Swift 6.3's optimized builds crashed in
  /// `swift_task_localValuePush` (a bad pointer, -8) in every plan. `scripts/test` plans the
  /// demo with the release binary to keep it so.
  public final class Destination: Sendable {
    public let sink: Sink

    public init(_ sink: @escaping Sink) {
      self.sink = sink
    }
  }

  @TaskLocal public static var destination: Destination?

  /// The sink of the call in progress, if any.
  public static var sink: Sink? { destination?.sink }

  /// Where log lines become the events of a run, for one host and connector.
  static func events(_ events: RunEventHandler?, host: String, connectorID: String)
    -> Destination?
  {
    guard let events else { return nil }
    return Destination { level, message, address in
      events(
        .connectorLog(
          host: host, connectorID: connectorID, level: level, message: message, address: address))
    }
  }
}
