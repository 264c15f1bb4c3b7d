import InfraCore

/// Something that happened during a plan or apply, for progress displays and logs.
/// The engine never prints; whoever runs it decides what events look like.
public enum RunEvent: Sendable {
  case hostStarted(host: String)
  case hostUnreachable(host: String, reason: String)
  case resourcesRead(host: String, connectorID: String, count: Int)
  case changePlanned(Change)
  case hostPlanned(host: String)
  case opStarted(Change)
  case opFinished(Change, OpOutcome.Status)
  case opSkipped(Change, reason: String)
  case hostApplied(host: String)
}

/// Receives events; called from many tasks at once, so it must be thread-safe.
public typealias RunEventHandler = @Sendable (RunEvent) -> Void
