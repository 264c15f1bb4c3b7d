import Foundation
import InfraCore

/// The stable JSON form of a plan: `infra plan --json`, a run's `plan.json`, and the plan inside
/// a saved plan, which is read back from it.
///
/// A separate, versioned document (like Terraform's `jsonplan`): the in-memory model can change
/// without breaking programs that read plans. Fields are only added within a major version.
public struct PlanDocument: Codable, Hashable, Sendable {
  /// The `format_version` this infra writes.
  public static let currentFormatVersion = "1.0"

  /// `format_version`: the version of the document's shape, e.g. `1.0`.
  public var formatVersion: String
  /// `summary`: the counts by action.
  public var summary: Plan.Summary
  /// `changes`: every change, by address, then by host in inventory order.
  public var changes: [ChangeEntry]
  /// `unchanged`: the resource instances that already match.
  public var unchanged: [ResourceEntry]
  /// `failures`: what could not be planned.
  public var failures: [FailureEntry]
  /// `diagnostics`: the warnings from loading the repository.
  public var diagnostics: [DiagnosticEntry]

  // Explicit keys rather than a key strategy: a strategy would also rewrite payload keys.
  enum CodingKeys: String, CodingKey {
    case formatVersion = "format_version"
    case summary, changes, unchanged, failures, diagnostics
  }

  /// One entry of `changes`: a change with everything needed to review and apply it.
  public struct ChangeEntry: Codable, Hashable, Sendable {
    /// The prefix folder the resource is in, e.g. `prod`.
    public var prefix: String
    /// The connector's folder below the prefix, e.g. `files`.
    public var connector: String
    /// The resource's path below the prefix, connector folder first: `files/web1/etc/motd`.
    public var address: String
    /// The host the change is on.
    public var host: String
    /// `create`, `update` or `delete`.
    public var action: Action
    /// One line for people: `update /etc/motd: content, mode 0644 → 0600`.
    public var message: String
    /// Further lines worth reviewing (sizes, attribute changes).
    public var details: [String]
    /// A unified diff of the content, when it is text; absent otherwise.
    public var diff: String?
    /// The repository files the resource comes from, relative to the root.
    public var sources: [String]
    /// Remarks from the connector, e.g. which file overrides which.
    public var notes: [String]
    /// `live_fingerprint`: digest of the live state the change was planned against.
    public var liveFingerprint: String
    /// What the connector needs to apply the change, in its own shape; `null` for a sensitive
    /// change, whose payload is never written down.
    public var payload: JSONValue
    /// `true` when the change touches secret content: it has no diff, no payload and no live
    /// fingerprint here, and applying a saved plan plans it again. Absent otherwise.
    public var sensitive: Bool?
    /// `runs_last`: `true` when other changes of the host triggered it, so that it runs after
    /// all of them (a service reloaded after its configuration changed). Absent otherwise.
    public var runsLast: Bool?

    enum CodingKeys: String, CodingKey {
      case prefix, connector, address, host, action, message, details, diff, sources, notes
      case liveFingerprint = "live_fingerprint"
      case payload, sensitive
      case runsLast = "runs_last"
    }
  }

  /// One entry of `unchanged`: a resource instance that already matches.
  public struct ResourceEntry: Codable, Hashable, Sendable {
    /// The prefix folder the resource is in, e.g. `prod`.
    public var prefix: String
    /// The connector's folder below the prefix, e.g. `files`.
    public var connector: String
    /// The resource's path below the prefix, connector folder first: `files/web1/etc/motd`.
    public var address: String
    /// The host the resource is on.
    public var host: String
  }

  /// One entry of `failures`: something that kept resources from being planned.
  public struct FailureEntry: Codable, Hashable, Sendable {
    /// `unreachable`, `connector`, `resource`, `locked` or `stale`.
    public var kind: Failure.Kind
    /// The host it failed on.
    public var host: String
    /// The prefix of the connector concerned; absent when there is none (an unreachable host).
    public var prefix: String?
    /// The name of the connector concerned; absent when there is none.
    public var connector: String?
    /// The resource's path below the prefix; absent when the failure is not about one resource.
    public var address: String?
    /// What went wrong, for people.
    public var message: String
    /// How many resource instances it left unplanned.
    public var resources: Int
  }

  /// One entry of `diagnostics`: a problem found while loading the repository.
  public struct DiagnosticEntry: Codable, Hashable, Sendable {
    /// `error` or `warning`.
    public var severity: Diagnostic.Severity
    /// What is wrong, as one sentence without a trailing period.
    public var message: String
    /// The file, relative to the repository root; absent when there is no place to point at.
    public var file: String?
    /// 1-based line; absent when the whole file is meant.
    public var line: Int?
    /// 1-based column in Unicode scalars; absent when the whole line is meant.
    public var column: Int?
    /// What to do about it, when there is something to say.
    public var hint: String?
  }

  /// The document of `plan`, in the current format version.
  public init(_ plan: Plan) {
    formatVersion = Self.currentFormatVersion
    summary = plan.summary
    changes = plan.changes.map { change in
      ChangeEntry(
        prefix: change.address.prefix, connector: change.address.connector,
        address: change.address.path,
        host: change.host, action: change.action, message: change.op.message,
        details: change.op.details, diff: change.op.sensitive ? nil : change.op.diff,
        sources: change.sources, notes: change.notes,
        liveFingerprint: change.op.sensitive ? Change.sensitiveFingerprint : change.liveFingerprint,
        payload: change.op.sensitive ? .null : change.op.payload,
        sensitive: change.op.sensitive ? true : nil, runsLast: change.op.runsLast ? true : nil)
    }
    unchanged = plan.unchanged.map { ref in
      ResourceEntry(
        prefix: ref.address.prefix, connector: ref.address.connector, address: ref.address.path,
        host: ref.host)
    }
    failures = plan.failures.map { failure in
      FailureEntry(
        kind: failure.kind, host: failure.host, prefix: failure.connector?.prefix,
        connector: failure.connector?.name, address: failure.address?.path,
        message: failure.message, resources: failure.resources)
    }
    diagnostics = plan.diagnostics.map(DiagnosticEntry.init)
  }

  /// Pretty, key-sorted JSON ending in a newline: stable enough to diff and to keep as a fixture.
  public func encoded() throws -> Data {
    var data = Data()
    write { data.append(Data($0.utf8)) }
    return data
  }

  /// Writes the document as pretty JSON, entry by entry, so a plan of many thousand changes is
  /// never held in memory as one document: `sink` receives it in pieces, in order.
  public func write(to sink: (String) -> Void) {
    /// Entries are written into one buffer, handed to `sink` every 64 KiB.
    func array(
      _ key: String, _ count: Int, last: Bool = false, entry: (Int, inout JSONWriter) -> Void
    ) {
      sink("  \"\(key)\": ")
      if count == 0 {
        sink("[]")
      } else {
        sink("[\n")
        var writer = JSONWriter(capacity: 1 << 16)
        for index in 0..<count {
          writer.raw("    ")
          entry(index, &writer)
          index + 1 < count ? writer.raw(",\n") : writer.raw("\n")
          if writer.bytes.count >= 1 << 16 {
            sink(writer.text)
            writer = JSONWriter(capacity: 1 << 16)
          }
        }
        sink(writer.text)
        sink("  ]")
      }
      sink(last ? "\n" : ",\n")
    }
    func array(_ key: String, _ items: [JSONValue]) {
      array(key, items.count) { index, writer in writer.pretty(items[index], indent: 2) }
    }
    sink("{\n")
    array("changes", changes.map(\.json))
    array("diagnostics", diagnostics.map(\.json))
    array("failures", failures.map(\.json))
    sink("  \"format_version\": \(JSONValue.string(formatVersion).serialized),\n")
    sink("  \"summary\": " + summary.json.pretty(indent: 1) + ",\n")
    // A plan of many thousand files has as many of these, written without a dictionary each.
    array("unchanged", unchanged.count, last: true) { index, writer in
      unchanged[index].write(into: &writer)
    }
    sink("}\n")
  }

  /// Reads a document from its JSON, e.g. `infra plan --json` output or a run's `plan.json`.
  public static func decode(_ data: Data) throws -> PlanDocument {
    try JSONDecoder().decode(PlanDocument.self, from: data)
  }

  /// The plan this document describes; throws when an entry names no valid resource.
  public func plan() throws -> Plan {
    func address(_ prefix: String, _ connector: String, _ path: String) throws -> Address {
      guard let address = Address(path, of: ConnectorID(prefix: prefix, name: connector)) else {
        throw DecodingError.dataCorrupted(
          .init(
            codingPath: [],
            debugDescription:
              "'\(path)' is not a resource of connector \(prefix)/\(connector)"))
      }
      return address
    }
    var plan = Plan()
    for entry in changes {
      plan.changes.append(
        Change(
          host: entry.host,
          op: PlannedOp(
            address: try address(entry.prefix, entry.connector, entry.address),
            action: entry.action, message: entry.message, details: entry.details,
            diff: entry.diff, payload: entry.payload, sensitive: entry.sensitive ?? false,
            runsLast: entry.runsLast ?? false),
          sources: entry.sources, notes: entry.notes, liveFingerprint: entry.liveFingerprint))
    }
    for entry in unchanged {
      plan.unchanged.append(
        ResourceRef(
          address: try address(entry.prefix, entry.connector, entry.address), host: entry.host))
    }
    for entry in failures {
      var connector: ConnectorID?
      if let prefix = entry.prefix, let name = entry.connector {
        connector = ConnectorID(prefix: prefix, name: name)
      }
      let resource = try entry.address.map { path in
        try address(connector?.prefix ?? "", connector?.name ?? "", path)
      }
      plan.failures.append(
        Failure(
          kind: entry.kind, host: entry.host, connector: connector, address: resource,
          message: entry.message, resources: entry.resources))
    }
    plan.diagnostics = diagnostics.map { entry in
      Diagnostic(
        entry.severity, entry.message,
        at: entry.file.map { SourceLocation(file: $0, line: entry.line, column: entry.column) },
        hint: entry.hint)
    }
    return plan
  }
}
