import Foundation
import InfraCore

/// The stable JSON form of a plan, for `infra plan --json` and saved plans.
///
/// A separate, versioned document (like Terraform's `jsonplan`): the in-memory model can change
/// without breaking programs that read plans. Fields are only added within a major version.
public struct PlanDocument: Codable, Hashable, Sendable {
  public static let currentFormatVersion = "1.0"

  public var formatVersion: String
  public var summary: Plan.Summary
  public var changes: [ChangeEntry]
  public var unchanged: [ResourceEntry]
  public var failures: [FailureEntry]
  public var diagnostics: [DiagnosticEntry]

  // Explicit keys rather than a key strategy: a strategy would also rewrite payload keys.
  enum CodingKeys: String, CodingKey {
    case formatVersion = "format_version"
    case summary, changes, unchanged, failures, diagnostics
  }

  public struct ChangeEntry: Codable, Hashable, Sendable {
    public var prefix: String
    public var connector: String
    public var address: String
    public var host: String
    public var action: Action
    public var message: String
    public var details: [String]
    public var diff: String?
    public var sources: [String]
    public var notes: [String]
    public var liveFingerprint: String
    public var payload: JSONValue

    enum CodingKeys: String, CodingKey {
      case prefix, connector, address, host, action, message, details, diff, sources, notes
      case liveFingerprint = "live_fingerprint"
      case payload
    }
  }

  public struct ResourceEntry: Codable, Hashable, Sendable {
    public var prefix: String
    public var connector: String
    public var address: String
    public var host: String
  }

  public struct FailureEntry: Codable, Hashable, Sendable {
    public var kind: Failure.Kind
    public var host: String
    public var prefix: String?
    public var connector: String?
    public var address: String?
    public var message: String
    public var resources: Int
  }

  public struct DiagnosticEntry: Codable, Hashable, Sendable {
    public var severity: Diagnostic.Severity
    public var message: String
    public var file: String?
    public var line: Int?
    public var column: Int?
    public var hint: String?
  }

  public init(_ plan: Plan) {
    formatVersion = Self.currentFormatVersion
    summary = plan.summary
    changes = plan.changes.map { change in
      ChangeEntry(
        prefix: change.prefix, connector: change.connector, address: change.address.path,
        host: change.host, action: change.action, message: change.op.message,
        details: change.op.details, diff: change.op.diff, sources: change.sources,
        notes: change.notes, liveFingerprint: change.liveFingerprint, payload: change.op.payload)
    }
    unchanged = plan.unchanged.map { ref in
      ResourceEntry(
        prefix: ref.address.prefix, connector: ref.address.connector, address: ref.address.path,
        host: ref.host)
    }
    failures = plan.failures.map { failure in
      let id = failure.connectorID?.split(separator: "/", maxSplits: 1).map(String.init)
      return FailureEntry(
        kind: failure.kind, host: failure.host, prefix: id?.first, connector: id?.last,
        address: failure.address?.path, message: failure.message, resources: failure.resources)
    }
    diagnostics = plan.diagnostics.map { diagnostic in
      DiagnosticEntry(
        severity: diagnostic.severity, message: diagnostic.message,
        file: diagnostic.location?.file, line: diagnostic.location?.line,
        column: diagnostic.location?.column, hint: diagnostic.hint)
    }
  }

  /// Pretty, key-sorted JSON ending in a newline: stable enough to diff and to keep as a fixture.
  public func encoded() throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    var data = try encoder.encode(self)
    data.append(0x0A)
    return data
  }

  public static func decode(_ data: Data) throws -> PlanDocument {
    try JSONDecoder().decode(PlanDocument.self, from: data)
  }
}
