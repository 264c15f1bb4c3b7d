import InfraCore

/// Where the lines programs log go (their `log` notifications): the run's events.
///
/// The engine sets a destination around its work on each host, and around each connector
/// call; a program's bridge reads it when a call starts (a connector) or when its host
/// connects (a transport), and hands it what the program logs about that host.
package enum ProgramLog {
  /// One line a program logged.
  package struct Line: Sendable, Hashable {
    package var level: LogLevel
    package var message: String
    /// The resource it is about, as the program names it (relative to the prefix).
    package var address: String?
    /// The transport program that logged it; `nil` for a connector.
    package var transport: String?

    package init(level: LogLevel, message: String, address: String? = nil, transport: String? = nil)
    {
      self.level = level
      self.message = message
      self.address = address
      self.transport = transport
    }
  }

  /// Receives lines, from any task.
  ///
  /// A class, so that the task-local value is a class reference: with an optional closure as
  /// the task-local's type, Swift 6.3's optimized builds crashed in
  /// `swift_task_localValuePush` (a bad pointer, -8) in every plan. `scripts/test` plans the
  /// demo with the release binary to keep it so.
  package final class Destination: Sendable {
    package let receive: @Sendable (Line) -> Void

    package init(_ receive: @escaping @Sendable (Line) -> Void) {
      self.receive = receive
    }
  }

  /// The destination of the work in progress, if any.
  @TaskLocal package static var destination: Destination?
}

/// The params of the `log` notification.
package struct LogParams: Decodable, Sendable {
  package var level: String?
  package var message: String
  package var address: String?
  /// The host of the call it is about: needed when calls for several hosts are in flight.
  package var host: String?

  /// The line; an unknown level is read as `info`.
  package func line(transport: String? = nil) -> ProgramLog.Line {
    ProgramLog.Line(
      level: level.flatMap(LogLevel.init(rawValue:)) ?? .info, message: message,
      address: address, transport: transport)
  }
}
