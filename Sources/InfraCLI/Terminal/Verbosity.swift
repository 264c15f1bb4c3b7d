import InfraCore
import Logging
import Synchronization

/// How much `infra` logs to standard error: warnings, or everything at debug level with `-v`
/// (every command run on a host, every connector call). The executable installs `handler` as
/// the logging system once per process; a command sets the level from its options.
package enum Verbosity {
  private static let debug = Atomic(false)

  /// Logs everything from now on when `debug`, only warnings otherwise.
  static func set(debug: Bool) {
    Self.debug.store(debug, ordering: .relaxed)
  }

  static var level: Logger.Level { debug.load(ordering: .relaxed) ? .debug : .warning }

  /// The log handler of the `infra` executable: standard error, at the level set.
  package static func handler(label: String) -> any LogHandler {
    StandardErrorHandler(base: StreamLogHandler.standardError(label: label))
  }
}

/// Standard error at the level `Verbosity` says, whenever a line is logged.
private struct StandardErrorHandler: LogHandler {
  var base: StreamLogHandler

  var logLevel: Logger.Level {
    get { Verbosity.level }
    set {}
  }

  var metadata: Logger.Metadata {
    get { base.metadata }
    set { base.metadata = newValue }
  }

  subscript(metadataKey key: String) -> Logger.Metadata.Value? {
    get { base[metadataKey: key] }
    set { base[metadataKey: key] = newValue }
  }

  /// Logged with registered secrets hidden, in the message and in every metadata value.
  func log(event: LogEvent) {
    var event = event
    let mask = SecretMask.shared
    if !mask.isEmpty {
      event.message = Logger.Message(stringLiteral: mask.masked(event.message.description))
      event.metadata = event.metadata?.mapValues {
        Logger.MetadataValue.string(mask.masked($0.description))
      }
    }
    base.log(event: event)
  }
}
