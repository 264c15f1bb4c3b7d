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
  /// What the op changes on its host, for the ops that watch it (`TriggeredOp`): a file's
  /// path (`/etc/nginx/nginx.conf`), `package:NAME`. Used while planning, not kept in plans.
  public var touches: [String]
  /// The op runs after every other change of its host, as Ansible's handlers do: it was
  /// triggered by them (a service reloaded because its configuration changed).
  public var runsLast: Bool

  /// An op; `details` and `diff` are for reviewers, `payload` is for `apply`.
  public init(
    address: Address, action: Action, message: String, details: [String] = [],
    diff: String? = nil, payload: JSONValue, sensitive: Bool = false, touches: [String] = [],
    runsLast: Bool = false
  ) {
    self.address = address
    self.action = action
    self.message = message
    self.details = details
    self.diff = diff
    self.payload = payload
    self.sensitive = sensitive
    self.touches = touches
    self.runsLast = runsLast
  }

  /// What a reviewer sees of the op, which a sensitive op planned again must show unchanged.
  public var reviewed: [String] {
    [action.rawValue, message] + details + [diff ?? ""]
  }
}

/// An op planned only when another change of the same host touches what it watches: a
/// service reloaded when its configuration file changes (`reload_on:`). When triggered, it
/// replaces the resource's own op, if there is one, and runs after the host's other changes.
package struct TriggeredOp: Hashable, Sendable {
  /// The op to run when triggered; its address is one of the plan request's.
  package var op: PlannedOp
  /// What it watches: paths on the host (a folder's path watches everything below it) or
  /// other subjects ops touch (`package:NAME`).
  package var watches: [String]

  package init(op: PlannedOp, watches: [String]) {
    self.op = op
    self.watches = watches
  }

  /// Whether a change that touches `subject` triggers it.
  package func isTriggered(by subject: String) -> Bool {
    watches.contains { watch in
      guard watch != subject else { return true }
      guard watch.hasPrefix("/") else { return false }
      let folder = watch.hasSuffix("/") ? watch : watch + "/"
      return subject.hasPrefix(folder)
    }
  }
}

/// A resource that cannot be planned or applied, and why.
package struct ResourceProblem: Hashable, Sendable {
  package var address: Address
  package var message: String
  /// The problem goes away when other changes of the same host touch all of these (a
  /// user that does not exist yet, which the users connector creates in the same apply:
  /// `user:deploy`). The resource's op, if the connector planned one, is then planned, with
  /// `resolution` among its details; otherwise the problem stands.
  package var unless: [String]
  /// What the op's details say when the problem went away.
  package var resolution: String?

  package init(
    address: Address, message: String, unless: [String] = [], resolution: String? = nil
  ) {
    self.address = address
    self.message = message
    self.unless = unless
    self.resolution = resolution
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
