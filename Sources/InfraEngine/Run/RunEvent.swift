import Foundation
import InfraCore

/// Something that happened during a plan or apply. The engine never prints: it reports these,
/// and whoever runs it decides what they look like (a progress line, JSON lines, a log).
public enum RunEvent: Sendable {
  case runStart(kind: RunKind, hosts: [String], resources: Int)
  /// A warning found while loading the repository.
  case diagnostic(Diagnostic)
  case hostConnect(host: String)
  case hostUnreachable(host: String, reason: String)
  /// One resource's live state was read.
  case resourceRead(host: String, connectorID: String, address: Address, exists: Bool)
  case changePlanned(Change)
  /// A resource, or a connector's whole share of a host, could not be planned.
  case planFailed(Failure)
  case planComplete(Plan.Summary)
  case opStart(Change)
  case opOK(Change)
  case opFailed(Change, message: String)
  case opSkipped(Change, reason: String)
  case hostDone(HostStats)
  /// A line a connector logged while working on a host (an external program's `log`).
  case connectorLog(
    host: String, connectorID: String, level: ConnectorLog.Level, message: String,
    address: Address?)
  case runEnd(status: RunStatus, rc: Int32, stats: [HostStats], duration: Duration)

  /// The event's name in JSON: `run_start`, `op_ok`, ...
  public var name: String {
    switch self {
    case .runStart: "run_start"
    case .diagnostic: "diagnostic"
    case .hostConnect: "host_connect"
    case .hostUnreachable: "host_unreachable"
    case .resourceRead: "resource_read"
    case .changePlanned: "change_planned"
    case .planFailed: "plan_failed"
    case .planComplete: "plan_complete"
    case .opStart: "op_start"
    case .opOK: "op_ok"
    case .opFailed: "op_failed"
    case .opSkipped: "op_skipped"
    case .hostDone: "host_done"
    case .connectorLog: "connector_log"
    case .runEnd: "run_end"
    }
  }

  /// The host the event is about, if it is about one.
  public var host: String? {
    switch self {
    case .hostConnect(let host), .hostUnreachable(let host, _), .resourceRead(let host, _, _, _):
      host
    case .changePlanned(let change), .opStart(let change), .opOK(let change),
      .opFailed(let change, _), .opSkipped(let change, _):
      change.host
    case .planFailed(let failure): failure.host
    case .hostDone(let stats): stats.host
    case .connectorLog(let host, _, _, _, _): host
    case .runStart, .diagnostic, .planComplete, .runEnd: nil
    }
  }

  /// The resource the event is about, if it is about one.
  public var address: Address? {
    switch self {
    case .resourceRead(_, _, let address, _): address
    case .changePlanned(let change), .opStart(let change), .opOK(let change),
      .opFailed(let change, _), .opSkipped(let change, _):
      change.address
    case .planFailed(let failure): failure.address
    case .connectorLog(_, _, _, _, let address): address
    default: nil
    }
  }

  /// The connector (`prefix/name`) the event is about, if it is about one.
  public var connectorID: String? {
    switch self {
    case .resourceRead(_, let connector, _, _): connector
    case .changePlanned(let change), .opStart(let change), .opOK(let change),
      .opFailed(let change, _), .opSkipped(let change, _):
      change.connectorID
    case .planFailed(let failure): failure.connectorID
    case .connectorLog(_, let connectorID, _, _, _): connectorID
    default: nil
    }
  }

  /// What else the event says, as JSON.
  var data: [String: JSONValue] {
    switch self {
    case .runStart(let kind, let hosts, let resources):
      [
        "kind": .string(kind.rawValue), "hosts": .array(hosts.map(JSONValue.string)),
        "resources": .int(resources),
      ]
    case .diagnostic(let diagnostic):
      [
        "severity": .string(diagnostic.severity.rawValue), "message": .string(diagnostic.message),
        "file": diagnostic.location.map { .string($0.file) } ?? .null,
        "line": diagnostic.location?.line.map(JSONValue.int) ?? .null,
        "column": diagnostic.location?.column.map(JSONValue.int) ?? .null,
      ]
    case .hostConnect: [:]
    case .hostUnreachable(_, let reason): ["reason": .string(reason)]
    case .resourceRead(_, _, _, let exists): ["exists": .bool(exists)]
    case .changePlanned(let change), .opStart(let change), .opOK(let change):
      ["action": .string(change.action.rawValue), "message": .string(change.op.message)]
    case .opFailed(let change, let message):
      ["action": .string(change.action.rawValue), "error": .string(message)]
    case .opSkipped(let change, let reason):
      ["action": .string(change.action.rawValue), "reason": .string(reason)]
    case .planFailed(let failure):
      [
        "kind": .string(failure.kind.rawValue), "message": .string(failure.message),
        "resources": .int(failure.resources),
      ]
    case .planComplete(let summary):
      ["summary": (try? JSONValue(encoding: summary)) ?? .null]
    case .hostDone(let stats): ["stats": stats.json]
    case .connectorLog(_, _, let level, let message, _):
      ["level": .string(level.rawValue), "message": .string(message)]
    case .runEnd(let status, let rc, let stats, let duration):
      [
        "status": .string(status.rawValue), "rc": .int(Int(rc)),
        "stats": .object(
          Dictionary(stats.map { ($0.host, $0.json) }, uniquingKeysWith: { a, _ in a })),
        "duration_ms": .int(Int(duration.milliseconds)),
      ]
    }
  }
}

/// An event as it is recorded and streamed: numbered, timed and tied to its run.
public struct RunEventRecord: Sendable, Encodable {
  /// The version of the JSON shape (`docs/schemas/events-v1.schema.json`).
  public static let schemaVersion = 1

  public var runID: String
  /// 1, 2, 3... in the order the events happened within the run.
  public var counter: Int
  public var time: Date
  public var event: RunEvent

  public init(runID: String, counter: Int, time: Date, event: RunEvent) {
    self.runID = runID
    self.counter = counter
    self.time = time
    self.event = event
  }

  public func encode(to encoder: any Encoder) throws {
    try json.encode(to: encoder)
  }

  /// The record as JSON: the shape `docs/schemas/events-v1.schema.json` describes.
  public var json: JSONValue {
    var object: [String: JSONValue] = [
      "schema_version": .int(Self.schemaVersion), "run_id": .string(runID),
      "counter": .int(counter), "time": .string(Self.timestamp(time)),
      "event": .string(event.name), "data": .object(event.data),
    ]
    if let host = event.host { object["host"] = .string(host) }
    if let address = event.address { object["address"] = .string(address.description) }
    if let connector = event.connectorID { object["connector"] = .string(connector) }
    return .object(object)
  }

  /// One line of JSON, newline included: what `--events` and `events.jsonl` hold.
  public func jsonLine() -> Data {
    Data((json.serialized + "\n").utf8)
  }

  /// RFC 3339 UTC with milliseconds: `2026-11-21T19:45:12.345Z`.
  static func timestamp(_ date: Date) -> String {
    Date.ISO8601FormatStyle(includingFractionalSeconds: true).format(date)
  }
}

/// Receives events; called from many tasks at once, so it must be thread-safe.
public typealias RunEventHandler = @Sendable (RunEvent) -> Void

extension Duration {
  /// Whole milliseconds.
  public var milliseconds: Int64 {
    let (seconds, attoseconds) = components
    return seconds * 1000 + attoseconds / 1_000_000_000_000_000
  }
}
