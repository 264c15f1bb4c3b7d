import Foundation
import InfraCore
import InfraTransport

/// The handler of one kind of resource, enabled under a prefix in `infra.yaml`.
///
/// Each call takes one request and returns one response (Terraform's provider interface,
/// Autoschematic's connector calls): `load` once for the connector's files, then `read`, `plan`
/// and `apply` (or `pull`, or `list`) with every resource of one host at once, so a connector
/// can batch its round trips; the engine never asks per resource.
/// A connector reaches hosts only through the `Transport` it is handed.
package protocol Connector: Sendable {
  /// Decodes this connector's resource files into the resources they declare.
  func load(_ request: LoadRequest) async -> LoadResponse

  /// Reads the live state of many resources of one host.
  func read(_ request: ReadRequest) async throws -> ReadResponse

  /// Compares live and desired state and returns the ops that would make them match.
  func plan(_ request: PlanRequest) async throws -> PlanResponse

  /// Executes a host's ops in order, stopping at the first failure.
  func apply(_ request: ApplyRequest) async -> ApplyResponse

  /// Turns the live state of resources into repository files (`infra pull`); optional.
  func pull(_ request: PullRequest) async throws -> PullResponse

  /// The resources a host has, as resource files would declare them (`infra import`);
  /// optional.
  func list(_ request: ListRequest) async throws -> ListResponse

  /// Lets go of what the connector holds (an external program); called once, at the end.
  func close() async
}

/// Everything under the connector's folder, for `Connector.load`.
package struct LoadRequest: Sendable {
  package var files: [ResourceFile]
  /// The connector's files that git shows deleted since the change set's base, each with its
  /// content at the base (readable during `load` only). For each resource such a file declared
  /// that no file in `files` still declares, the connector returns a resource whose desired
  /// state is its absence, marked `removed`: that is how a deletion reviewed in git is planned.
  package var removed: [ResourceFile]
  /// The connector's folders that hold nothing (which git cannot keep: a `.gitkeep` does).
  package var emptyFolders: [Address]

  package init(files: [ResourceFile], removed: [ResourceFile] = [], emptyFolders: [Address] = []) {
    self.files = files
    self.removed = removed
    self.emptyFolders = emptyFolders
  }
}

package struct LoadResponse: Sendable {
  /// One resource per address and host it applies to.
  package var resources: [Resource]
  /// Problems in the files, located where possible.
  package var diagnostics: [Diagnostic]
  /// Files the connector does not own (an editor backup, a stray note), with the reason.
  package var unclaimed: [(file: ResourceFile, reason: String)]

  package init(
    resources: [Resource] = [], diagnostics: [Diagnostic] = [],
    unclaimed: [(file: ResourceFile, reason: String)] = []
  ) {
    self.resources = resources
    self.diagnostics = diagnostics
    self.unclaimed = unclaimed
  }
}

/// The resources of one host, for `Connector.read`.
package struct ReadRequest: Sendable {
  package var host: InventoryHost
  package var transport: any Transport
  package var resources: [Resource]
  /// The host's facts, for what the resources' desired state depends on (templates).
  package var facts: HostFactsSource

  package init(
    host: InventoryHost, transport: any Transport, resources: [Resource],
    facts: HostFactsSource = .unavailable
  ) {
    self.host = host
    self.transport = transport
    self.resources = resources
    self.facts = facts
  }
}

package struct ReadResponse: Sendable {
  /// Live state by address; every requested address must have an entry.
  package var states: [Address: LiveState]

  package init(states: [Address: LiveState]) {
    self.states = states
  }
}

/// Resources paired with their live state, for `Connector.plan`.
package struct PlanRequest: Sendable {
  package var host: InventoryHost
  /// For fetching what the plan needs beyond the read (e.g. old content for a diff).
  package var transport: any Transport
  package var items: [PlanItem]

  package init(host: InventoryHost, transport: any Transport, items: [PlanItem]) {
    self.host = host
    self.transport = transport
    self.items = items
  }
}

package struct PlanItem: Sendable {
  package var resource: Resource
  package var live: LiveState

  package init(resource: Resource, live: LiveState) {
    self.resource = resource
    self.live = live
  }
}

package struct PlanResponse: Sendable {
  /// Ops for the resources that differ; a resource without an op is unchanged.
  package var ops: [PlannedOp]
  /// Resources that cannot be planned, with the reason (e.g. a folder where a file should be).
  package var problems: [ResourceProblem]
  /// Ops that only other changes of the host call for: planned when one of them touches what
  /// the op watches, in place of the resource's own op.
  package var triggered: [TriggeredOp]

  package init(
    ops: [PlannedOp] = [], problems: [ResourceProblem] = [], triggered: [TriggeredOp] = []
  ) {
    self.ops = ops
    self.problems = problems
    self.triggered = triggered
  }
}

/// A host's ops, for `Connector.apply`.
///
/// A connector checks `shouldStop` before each op and starts no new one once it is true (the
/// run was canceled); an op already running always finishes. It reports each op's start and
/// outcome as they happen, so progress and events are live.
package struct ApplyRequest: Sendable {
  package var host: InventoryHost
  package var transport: any Transport
  package var ops: [PlannedOp]
  package var shouldStop: @Sendable () -> Bool
  package var onStart: @Sendable (Address) -> Void
  package var onOutcome: @Sendable (OpOutcome) -> Void
  /// Outcomes that came together (a host confirming many ops at once), in order: reported
  /// together, their events written together. `onOutcome` for each unless told otherwise.
  package var onOutcomes: @Sendable ([OpOutcome]) -> Void

  package init(
    host: InventoryHost, transport: any Transport, ops: [PlannedOp],
    shouldStop: @escaping @Sendable () -> Bool = { false },
    onStart: @escaping @Sendable (Address) -> Void = { _ in },
    onOutcome: @escaping @Sendable (OpOutcome) -> Void = { _ in },
    onOutcomes: (@Sendable ([OpOutcome]) -> Void)? = nil
  ) {
    self.host = host
    self.transport = transport
    self.ops = ops
    self.shouldStop = shouldStop
    self.onStart = onStart
    self.onOutcome = onOutcome
    self.onOutcomes = onOutcomes ?? { outcomes in outcomes.forEach(onOutcome) }
  }
}

package struct ApplyResponse: Sendable {
  /// One outcome per op that was attempted, in order; ops not attempted (after a failure or a
  /// stop) are left out.
  package var outcomes: [OpOutcome]
  /// Why the host became unreachable while ops were applied (its connection was lost): the
  /// op in flight failed, and nothing more is tried on the host.
  package var unreachable: String?

  package init(outcomes: [OpOutcome], unreachable: String? = nil) {
    self.outcomes = outcomes
    self.unreachable = unreachable
  }
}

/// Resources paired with their live state, for `Connector.pull`: what to write back into the
/// repository so that it declares what the host has (`infra pull`). The same as a plan's.
package typealias PullRequest = PlanRequest

/// One repository file `infra pull` writes, or removes when `content` is `nil`.
package struct PulledFile: Hashable, Sendable {
  /// Relative to the repository root.
  package var path: String
  package var content: Data?
  package var address: Address
  /// What changes, for people: `content (+2 −1)`.
  package var summary: String
  /// For content written encrypted, a digest of the clear content (in memory only): what the
  /// files several hosts give are compared by, since each encryption makes other bytes.
  package var clearDigest: String?

  package init(
    path: String, content: Data?, address: Address, summary: String, clearDigest: String? = nil
  ) {
    self.path = path
    self.content = content
    self.address = address
    self.summary = summary
    self.clearDigest = clearDigest
  }

  /// Whether `other` writes the same into the same file.
  package func writesTheSame(as other: PulledFile) -> Bool {
    if let clearDigest, let otherDigest = other.clearDigest { return clearDigest == otherDigest }
    return content == other.content
  }
}

package struct PullResponse: Sendable {
  package var files: [PulledFile]
  /// Live differences the connector cannot write back, with what to do instead.
  package var problems: [ResourceProblem]

  package init(files: [PulledFile] = [], problems: [ResourceProblem] = []) {
    self.files = files
    self.problems = problems
  }
}

extension Connector {
  package func close() async {}

  /// Connectors that cannot list say so.
  package func list(_ request: ListRequest) async throws -> ListResponse {
    throw ConnectorCannotList()
  }

  /// Connectors that cannot pull say so for every resource asked about.
  package func pull(_ request: PullRequest) async throws -> PullResponse {
    PullResponse(
      problems: request.items.map {
        ResourceProblem(
          address: $0.resource.address,
          message: "its connector cannot write live state back into the repository")
      })
  }
}

/// One host, for `Connector.list`.
package struct ListRequest: Sendable {
  package var host: InventoryHost
  package var transport: any Transport
  /// What to list, for connectors that list what they are told (`files`: paths on the host);
  /// empty for everything.
  package var paths: [String]

  package init(host: InventoryHost, transport: any Transport, paths: [String] = []) {
    self.host = host
    self.transport = transport
    self.paths = paths
  }
}

/// The resource files that would declare what a host has.
package struct ListResponse: Sendable {
  /// Addresses relative to the connector's prefix, with the file content for each.
  package var files: [(address: Address, content: Data)]
  /// The files whose content is secret: import writes them encrypted, or not at all.
  package var sensitive: Set<Address>
  /// What was found but not listed, each with why, for people.
  package var skipped: [String] = []

  package init(files: [(address: Address, content: Data)] = [], sensitive: Set<Address> = []) {
    self.files = files
    self.sensitive = sensitive
  }
}

/// What `list` throws for a connector that cannot tell what a host has.
package struct ConnectorCannotList: Error, CustomStringConvertible {
  package init() {}
  package var description: String { "its connector cannot list what a host has" }
}
