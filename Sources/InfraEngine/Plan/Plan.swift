import InfraCore

/// One change a plan proposes: an op of one connector on one host, with what a reviewer needs.
public struct Change: Hashable, Sendable {
  /// The host the change is on.
  public var host: String
  /// What the connector proposes: the address, action, messages and payload.
  public var op: PlannedOp
  /// The repository files the resource comes from.
  public var sources: [String]
  /// Remarks from the connector, e.g. which file overrides which.
  public var notes: [String]
  /// Digest of the live state this change was planned against.
  public var liveFingerprint: String

  /// A change as planned, or as read back from a plan's JSON.
  public init(
    host: String, op: PlannedOp, sources: [String], notes: [String], liveFingerprint: String
  ) {
    self.host = host
    self.op = op
    self.sources = sources
    self.notes = notes
    self.liveFingerprint = liveFingerprint
  }

  /// What `liveFingerprint` says for a sensitive change: its live state's digest is not kept,
  /// since it could help guess a short secret.
  public static let sensitiveFingerprint = "sensitive"

  /// The change `op` makes to `item` on `host`: sensitive when the op or its resource is, and
  /// then without a diff or a live fingerprint.
  package init(planned op: PlannedOp, of item: PlanItem, on host: String) {
    var op = op
    op.sensitive = op.sensitive || item.resource.sensitive
    if op.sensitive { op.diff = nil }
    self.init(
      host: host, op: op, sources: item.resource.sources, notes: item.resource.notes,
      liveFingerprint: op.sensitive ? Self.sensitiveFingerprint : item.live.fingerprint)
  }

  /// The resource the change acts on.
  public var address: Address { op.address }
  /// Whether the change creates, updates or deletes the resource.
  public var action: Action { op.action }
  /// The connector that planned it: the one whose folder holds the resource.
  public var connector: ConnectorID { address.connectorID }
}

/// A resource instance: a resource of the repository on one of its hosts.
public struct ResourceRef: Hashable, Sendable {
  /// The resource.
  public var address: Address
  /// The host it is on.
  public var host: String

  /// The resource at `address` on `host`.
  public init(address: Address, host: String) {
    self.address = address
    self.host = host
  }

  /// The connector whose folder holds the resource.
  public var connector: ConnectorID { address.connectorID }
}

/// Something that kept part of a plan or apply from happening.
public struct Failure: Hashable, Sendable, CustomStringConvertible {
  /// What kind of failure it is, as `plan_failed` events and the plan's JSON name it.
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

  /// What failed: the host, a connector, one resource, the lock, or a saved plan.
  public var kind: Kind
  /// The host it failed on.
  public var host: String
  /// The connector concerned; `nil` when there is none, e.g. for an unreachable host.
  public var connector: ConnectorID?
  /// The resource concerned; `nil` when the failure is not about one resource.
  public var address: Address?
  /// What went wrong, for people.
  public var message: String
  /// How many resource instances this failure left unplanned or unapplied.
  public var resources: Int

  /// A failure; `connector` defaults to the one of `address`.
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
  /// Resource instances that already match the repository.
  public var unchanged: [ResourceRef]
  /// What could not be planned, each with how many resource instances it left out.
  public var failures: [Failure]
  /// Resources not planned because the run was stopped first.
  public var skipped: [ResourceRef]
  /// Warnings from loading the workspace, kept with the plan so every view can show them.
  public var diagnostics: [Diagnostic]

  /// A plan from its parts, e.g. as read back from its JSON.
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

  /// Whether applying the plan would change anything.
  public var hasChanges: Bool { !changes.isEmpty }
  /// Whether anything could not be planned.
  public var hasFailures: Bool { !failures.isEmpty }

  /// The counts by action, as `plan_complete` and the plan's JSON report them.
  public var summary: Summary {
    Summary(
      create: changes.count { $0.action == .create },
      update: changes.count { $0.action == .update },
      delete: changes.count { $0.action == .delete },
      unchanged: unchanged.count,
      failed: failures.reduce(0) { $0 + $1.resources })
  }

  /// How many resource instances a plan creates, updates, deletes, leaves alone, or could not plan.
  public struct Summary: Hashable, Sendable, Codable {
    /// Resource instances to create.
    public var create: Int
    /// Resource instances to update.
    public var update: Int
    /// Resource instances to delete.
    public var delete: Int
    /// Resource instances that already match.
    public var unchanged: Int
    /// Resource instances that could not be planned.
    public var failed: Int

    /// A summary from its counts, e.g. as read back from a plan's JSON.
    public init(create: Int, update: Int, delete: Int, unchanged: Int, failed: Int) {
      self.create = create
      self.update = update
      self.delete = delete
      self.unchanged = unchanged
      self.failed = failed
    }
  }
}
