import Foundation
import InfraCore

/// Something that happened during a plan or apply. The engine never prints: it reports these,
/// and whoever runs it decides what they look like (a progress line, JSON lines, a log).
public enum RunEvent: Sendable {
  case runStart(kind: RunKind, hosts: [String], resources: Int)
  /// A warning found while loading the repository.
  case diagnostic(Diagnostic)
  case hostConnect(host: String)
  /// The host's facts were gathered (with the first command of the run there).
  case hostFacts(host: String, facts: HostFacts)
  case hostUnreachable(host: String, reason: String)
  /// One resource's live state was read.
  case resourceRead(host: String, address: Address, exists: Bool)
  case changePlanned(Change)
  /// A resource, or a connector's whole share of a host, could not be planned.
  case planFailed(Failure)
  case planComplete(Plan.Summary)
  case opStart(Change)
  case opOK(Change)
  case opFailed(Change, message: String)
  case opSkipped(Change, reason: String)
  case hostDone(HostStats)
  /// A line a program logged about a host (its `log`): a connector while it worked on the
  /// host, or the transport program that reaches it.
  case connectorLog(
    host: String, connector: ConnectorID?, transport: String?, level: LogLevel, message: String,
    address: Address?)
  /// A resource file `infra pull` wrote (or removed) from a host's live state; `written` is
  /// false in a dry run.
  case filePulled(host: String, address: Address, path: String, removed: Bool, written: Bool)
  /// A resource file `infra import` wrote from what a host has; `existing` when the repository
  /// had it already (it is kept), `written` false in a dry run.
  case fileImported(host: String, address: Address, path: String, existing: Bool, written: Bool)
  /// `infra run`'s command ended on a host: its exit code, or why it could not run.
  case commandDone(host: String, exitCode: Int32?, error: String?, duration: Duration)
  /// `infra unlock` removed a host's lock, held by `holder`.
  case lockRemoved(host: String, holder: String)
  case runEnd(status: RunStatus, rc: Int32, stats: [HostStats], duration: Duration)

  /// The event's name in JSON: `run_start`, `op_ok`, ...
  public var name: String {
    switch self {
    case .runStart: "run_start"
    case .diagnostic: "diagnostic"
    case .hostConnect: "host_connect"
    case .hostFacts: "host_facts"
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
    case .filePulled: "file_pulled"
    case .fileImported: "file_imported"
    case .commandDone: "command_done"
    case .lockRemoved: "lock_removed"
    case .runEnd: "run_end"
    }
  }

  /// The host the event is about, if it is about one.
  public var host: String? {
    switch self {
    case .hostConnect(let host), .hostFacts(let host, _), .hostUnreachable(let host, _),
      .resourceRead(let host, _, _),
      .filePulled(let host, _, _, _, _), .fileImported(let host, _, _, _, _),
      .commandDone(let host, _, _, _), .lockRemoved(let host, _):
      host
    case .changePlanned(let change), .opStart(let change), .opOK(let change),
      .opFailed(let change, _), .opSkipped(let change, _):
      change.host
    case .planFailed(let failure): failure.host
    case .hostDone(let stats): stats.host
    case .connectorLog(let host, _, _, _, _, _): host
    case .runStart, .diagnostic, .planComplete, .runEnd: nil
    }
  }

  /// The resource the event is about, if it is about one.
  public var address: Address? {
    switch self {
    case .resourceRead(_, let address, _), .filePulled(_, let address, _, _, _),
      .fileImported(_, let address, _, _, _):
      address
    case .changePlanned(let change), .opStart(let change), .opOK(let change),
      .opFailed(let change, _), .opSkipped(let change, _):
      change.address
    case .planFailed(let failure): failure.address
    case .connectorLog(_, _, _, _, _, let address): address
    default: nil
    }
  }

  /// The connector the event is about, if it is about one.
  public var connector: ConnectorID? {
    switch self {
    case .connectorLog(_, let connector, _, _, _, _): connector
    case .planFailed(let failure): failure.connector
    default: address?.connectorID
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
    case .hostFacts(_, let facts): ["facts": facts.json]
    case .hostUnreachable(_, let reason): ["reason": .string(reason)]
    case .resourceRead(_, _, let exists): ["exists": .bool(exists)]
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
    case .connectorLog(_, _, let transport, let level, let message, _):
      [
        "level": .string(level.rawValue), "message": .string(message),
        "transport": transport.map(JSONValue.string),
      ].compactMapValues { $0 }
    case .filePulled(_, _, let path, let removed, let written):
      ["path": .string(path), "removed": .bool(removed), "written": .bool(written)]
    case .fileImported(_, _, let path, let existing, let written):
      ["path": .string(path), "existing": .bool(existing), "written": .bool(written)]
    case .commandDone(_, let exitCode, let error, let duration):
      [
        "exit_code": exitCode.map { .int(Int($0)) } ?? .null,
        "error": error.map(JSONValue.string) ?? .null,
        "duration_ms": .int(Int(duration.milliseconds)),
      ]
    case .lockRemoved(_, let holder): ["holder": .string(holder)]
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

  /// The id of the run the event belongs to.
  public let runID: String
  /// 1, 2, 3... in the order the events happened within the run.
  public let counter: Int
  /// When the event happened; written as RFC 3339 in UTC with milliseconds.
  public let time: Date
  /// What happened.
  public let event: RunEvent
  /// The record as one line of JSON, newline included, every registered secret masked: what
  /// `--events` and `events.jsonl` hold. Written once, when the record is made.
  public let line: Data

  /// A record from its parts; a run makes one for each event it reports.
  public init(runID: String, counter: Int, time: Date, event: RunEvent) {
    self.runID = runID
    self.counter = counter
    self.time = time
    self.event = event
    line = SecretMask.shared.masked(Self.line(runID, counter, time, event))
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
    if let connector = event.connector { object["connector"] = .string(connector.description) }
    return .object(object)
  }

  /// `json` serialized, written key by key in sorted order without building it: a run writes
  /// one of these per resource.
  private static func line(_ runID: String, _ counter: Int, _ time: Date, _ event: RunEvent)
    -> Data
  {
    var writer = JSONWriter(capacity: 320)
    writer.raw("{")
    if let address = event.address {
      writer.raw("\"address\":")
      writer.string(address.description)
      writer.raw(",")
    }
    if let connector = event.connector {
      writer.raw("\"connector\":")
      writer.string(connector.description)
      writer.raw(",")
    }
    writer.raw("\"counter\":")
    writer.int(counter)
    writer.raw(",\"data\":")
    writer.value(.object(event.data))
    writer.raw(",\"event\":")
    writer.string(event.name)
    if let host = event.host {
      writer.raw(",\"host\":")
      writer.string(host)
    }
    writer.raw(",\"run_id\":")
    writer.string(runID)
    writer.raw(",\"schema_version\":")
    writer.int(schemaVersion)
    writer.raw(",\"time\":")
    writer.string(timestamp(time))
    writer.raw("}\n")
    return Data(writer.bytes)
  }

  /// RFC 3339 UTC with milliseconds: `2026-11-21T19:45:12.345Z`.
  static func timestamp(_ date: Date) -> String {
    UTCTimestamp.milliseconds(date)
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
