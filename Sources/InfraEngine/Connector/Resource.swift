import InfraCore

/// The desired state of one resource on one host, as its connector decoded it.
package struct Resource: Hashable, Sendable {
  package var address: Address
  /// The host this instance of the resource lives on.
  package var host: String
  /// The repository files this resource comes from (shown in plans, used for change sets).
  package var sources: [String]
  /// The connector's own description of the desired state; opaque to the engine.
  package var desired: JSONValue
  /// Remarks for the plan, e.g. that a host's own file overrides its group's.
  package var notes: [String]
  /// The resource's file was deleted in git since the change set's base, so its desired state
  /// is to be gone: the one way, besides a file that asks for it, that a plan deletes.
  package var removed: Bool
  /// Its content is secret (`sensitive: true`, an `.age` file, or its connector says so): every
  /// op planned for it is sensitive.
  package var sensitive: Bool

  package init(
    address: Address, host: String, sources: [String], desired: JSONValue, notes: [String] = [],
    removed: Bool = false, sensitive: Bool = false
  ) {
    self.address = address
    self.host = host
    self.sources = sources
    self.desired = desired
    self.notes = notes
    self.removed = removed
    self.sensitive = sensitive
  }
}

/// The live state of one resource, as its connector read it from the host.
package struct LiveState: Hashable, Sendable, Codable {
  /// The connector's own description; `.null` when the resource does not exist.
  package var state: JSONValue
  /// A short digest of `state`: a saved plan is stale when the fingerprint moved.
  package var fingerprint: String

  package init(state: JSONValue, fingerprint: String) {
    self.state = state
    self.fingerprint = fingerprint
  }

  package var exists: Bool { state != .null }
}

/// What an op does to its resource.
public enum Action: String, Hashable, Sendable, Codable, CaseIterable {
  case create
  case update
  case delete

  /// The sign plans print before the address, as Terraform does.
  public var symbol: String {
    switch self {
    case .create: "+"
    case .update: "~"
    case .delete: "-"
    }
  }
}

/// One step of a plan, as a connector proposes it.
public struct PlannedOp: Hashable, Sendable {
  /// The resource the op acts on.
  public var address: Address
  /// Whether the op creates, updates or deletes the resource.
  public var action: Action
  /// One line for people: `update /etc/motd: content, mode 0644 → 0600`.
  public var message: String
  /// Further lines worth reviewing (sizes, attribute changes).
  public var details: [String]
  /// A unified diff of the content, when it is text.
  public var diff: String?
  /// What `apply` needs to execute the op; opaque to the engine, kept in saved plans unless
  /// the op is sensitive.
  public var payload: JSONValue
  /// The op touches secret content: it has no diff, and its payload stays in memory (plan
  /// documents and saved plans hold `null`; applying a saved plan plans it again).
  public var sensitive: Bool

  /// An op; `details` and `diff` are for reviewers, `payload` is for `apply`.
  public init(
    address: Address, action: Action, message: String, details: [String] = [],
    diff: String? = nil, payload: JSONValue, sensitive: Bool = false
  ) {
    self.address = address
    self.action = action
    self.message = message
    self.details = details
    self.diff = diff
    self.payload = payload
    self.sensitive = sensitive
  }

  /// What a reviewer sees of the op, which a sensitive op planned again must show unchanged.
  public var reviewed: [String] {
    [action.rawValue, message] + details + [diff ?? ""]
  }
}

/// A resource that cannot be planned or applied, and why.
package struct ResourceProblem: Hashable, Sendable {
  package var address: Address
  package var message: String

  package init(address: Address, message: String) {
    self.address = address
    self.message = message
  }
}

/// How one op ended.
package struct OpOutcome: Hashable, Sendable {
  package enum Status: Hashable, Sendable {
    case applied
    case failed(String)
  }

  package var address: Address
  package var status: Status

  package init(address: Address, status: Status) {
    self.address = address
    self.status = status
  }
}
