import InfraCore

/// One change a plan proposes: an op of one connector on one host, with what a reviewer needs.
public struct Change: Hashable, Sendable {
  public var host: String
  public var op: PlannedOp
  /// The repository files the resource comes from.
  public var sources: [String]
  /// Remarks from the connector, e.g. which file overrides which.
  public var notes: [String]
  /// Digest of the live state this change was planned against.
  public var liveFingerprint: String

  public init(
    host: String, op: PlannedOp, sources: [String], notes: [String], liveFingerprint: String
  ) {
    self.host = host
    self.op = op
    self.sources = sources
    self.notes = notes
    self.liveFingerprint = liveFingerprint
  }

  public var address: Address { op.address }
  public var action: Action { op.action }
  /// The connector that planned it: the one whose folder holds the resource.
  public var connector: ConnectorID { address.connectorID }
}

/// A resource instance: a resource of the repository on one of its hosts.
public struct ResourceRef: Hashable, Sendable {
  public var address: Address
  public var host: String

  public init(address: Address, host: String) {
    self.address = address
    self.host = host
  }

  public var connector: ConnectorID { address.connectorID }
}

/// Something that kept part of a plan or apply from happening.
public struct Failure: Hashable, Sendable, CustomStringConvertible {
  public enum Kind: String, Hashable, Sendable, Codable {
    /// The host could not be reached; none of its resources were read.
    case unreachable
    /// A connector's read or plan failed for the host.
    case connector
    /// One resource could not be planned or applied.
    case resource
    /// Another run holds the host's apply lock (or the lock could not be taken).
    case locked
    /// A saved plan no longer matches the repository or the host.
    case stale
  }

  public var kind: Kind
  public var host: String
  public var connector: ConnectorID?
  public var address: Address?
  public var message: String
  /// How many resource instances this failure left unplanned or unapplied.
  public var resources: Int

  public init(
    kind: Kind, host: String, connector: ConnectorID? = nil, address: Address? = nil,
    message: String, resources: Int = 1
  ) {
    self.kind = kind
    self.host = host
    self.connector = connector ?? address?.connectorID
    self.address = address
    self.message = message
    self.resources = resources
  }

  public var description: String {
    if kind == .unreachable { return "host \(host) is unreachable: \(message)" }
    if kind == .locked { return message }
    var subject = "host \(host)"
    if let address {
      subject = "\(address) on \(host)"
    } else if let connector {
      subject = "\(connector) on \(host)"
    }
    return "\(subject): \(message)"
  }
}

/// The result of planning: every change, what is unchanged, and what could not be planned.
public struct Plan: Sendable {
  /// Ordered by address, then by host in inventory order.
  public var changes: [Change]
  public var unchanged: [ResourceRef]
  public var failures: [Failure]
  /// Resources not planned because the run was stopped first.
  public var skipped: [ResourceRef]
  /// Warnings from loading the workspace, kept with the plan so every view can show them.
  public var diagnostics: [Diagnostic]

  public init(
    changes: [Change] = [], unchanged: [ResourceRef] = [], failures: [Failure] = [],
    skipped: [ResourceRef] = [], diagnostics: [Diagnostic] = []
  ) {
    self.changes = changes
    self.unchanged = unchanged
    self.failures = failures
    self.skipped = skipped
    self.diagnostics = diagnostics
  }

  public var hasChanges: Bool { !changes.isEmpty }
  public var hasFailures: Bool { !failures.isEmpty }

  public var summary: Summary {
    Summary(
      create: changes.count { $0.action == .create },
      update: changes.count { $0.action == .update },
      delete: changes.count { $0.action == .delete },
      unchanged: unchanged.count,
      failed: failures.reduce(0) { $0 + $1.resources })
  }

  public struct Summary: Hashable, Sendable, Codable {
    public var create: Int
    public var update: Int
    public var delete: Int
    public var unchanged: Int
    /// Resource instances that could not be planned.
    public var failed: Int

    public init(create: Int, update: Int, delete: Int, unchanged: Int, failed: Int) {
      self.create = create
      self.update = update
      self.delete = delete
      self.unchanged = unchanged
      self.failed = failed
    }
  }
}
