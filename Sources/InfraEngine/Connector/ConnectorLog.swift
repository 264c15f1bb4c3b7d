import InfraCore

/// Where what a connector logs during a call goes: the run's events (`connector_log`). The
/// planner and applier set it around each connector call; a connector reads it at the start
/// of the call (e.g. an external program's `log` notifications are forwarded to it).
public enum ConnectorLog {
  public typealias Sink = @Sendable (_ level: Level, _ message: String, _ address: Address?) -> Void

  public enum Level: String, Sendable, CaseIterable {
    case debug, info, warning, error
  }

  @TaskLocal public static var sink: Sink?

  /// A sink that turns log lines into the events of a run, for one host and connector.
  static func events(_ events: RunEventHandler?, host: String, connectorID: String) -> Sink? {
    guard let events else { return nil }
    return { level, message, address in
      events(
        .connectorLog(
          host: host, connectorID: connectorID, level: level, message: message, address: address))
    }
  }
}
