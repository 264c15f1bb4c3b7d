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
public protocol Connector: Sendable {
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
public struct LoadRequest: Sendable {
  public var files: [ResourceFile]
  /// The connector's files that git shows deleted since the change set's base, each with its
  /// content at the base (readable during `load` only). For each resource such a file declared
  /// that no file in `files` still declares, the connector returns a resource whose desired
  /// state is its absence, marked `removed`: that is how a deletion reviewed in git is planned.
  public var removed: [ResourceFile]

  public init(files: [ResourceFile], removed: [ResourceFile] = []) {
    self.files = files
    self.removed = removed
  }
}

public struct LoadResponse: Sendable {
  /// One resource per address and host it applies to.
  public var resources: [Resource]
  /// Problems in the files, located where possible.
  public var diagnostics: [Diagnostic]
  /// Files the connector does not own (an editor backup, a stray note), with the reason.
  public var unclaimed: [(file: ResourceFile, reason: String)]

  public init(
    resources: [Resource] = [], diagnostics: [Diagnostic] = [],
    unclaimed: [(file: ResourceFile, reason: String)] = []
  ) {
    self.resources = resources
    self.diagnostics = diagnostics
    self.unclaimed = unclaimed
  }
}

/// The resources of one host, for `Connector.read`.
public struct ReadRequest: Sendable {
  public var host: InventoryHost
  public var transport: any Transport
  public var resources: [Resource]

  public init(host: InventoryHost, transport: any Transport, resources: [Resource]) {
    self.host = host
    self.transport = transport
    self.resources = resources
  }
}

public struct ReadResponse: Sendable {
  /// Live state by address; every requested address must have an entry.
  public var states: [Address: LiveState]

  public init(states: [Address: LiveState]) {
    self.states = states
  }
}

/// Resources paired with their live state, for `Connector.plan`.
public struct PlanRequest: Sendable {
  public var host: InventoryHost
  /// For fetching what the plan needs beyond the read (e.g. old content for a diff).
  public var transport: any Transport
  public var items: [PlanItem]

  public init(host: InventoryHost, transport: any Transport, items: [PlanItem]) {
    self.host = host
    self.transport = transport
    self.items = items
  }
}

public struct PlanItem: Sendable {
  public var resource: Resource
  public var live: LiveState

  public init(resource: Resource, live: LiveState) {
    self.resource = resource
    self.live = live
  }
}

public struct PlanResponse: Sendable {
  /// Ops for the resources that differ; a resource without an op is unchanged.
  public var ops: [PlannedOp]
  /// Resources that cannot be planned, with the reason (e.g. a folder where a file should be).
  public var problems: [ResourceProblem]

  public init(ops: [PlannedOp] = [], problems: [ResourceProblem] = []) {
    self.ops = ops
    self.problems = problems
  }
}

/// A host's ops, for `Connector.apply`.
///
/// A connector checks `shouldStop` before each op and starts no new one once it is true (the
/// run was canceled); an op already running always finishes. It reports each op's start and
/// outcome as they happen, so progress and events are live.
public struct ApplyRequest: Sendable {
  public var host: InventoryHost
  public var transport: any Transport
  public var ops: [PlannedOp]
  public var shouldStop: @Sendable () -> Bool
  public var onStart: @Sendable (Address) -> Void
  public var onOutcome: @Sendable (OpOutcome) -> Void

  public init(
    host: InventoryHost, transport: any Transport, ops: [PlannedOp],
    shouldStop: @escaping @Sendable () -> Bool = { false },
    onStart: @escaping @Sendable (Address) -> Void = { _ in },
    onOutcome: @escaping @Sendable (OpOutcome) -> Void = { _ in }
  ) {
    self.host = host
    self.transport = transport
    self.ops = ops
    self.shouldStop = shouldStop
    self.onStart = onStart
    self.onOutcome = onOutcome
  }
}

public struct ApplyResponse: Sendable {
  /// One outcome per op that was attempted, in order; ops not attempted (after a failure or a
  /// stop) are left out.
  public var outcomes: [OpOutcome]

  public init(outcomes: [OpOutcome]) {
    self.outcomes = outcomes
  }
}

/// Resources paired with their live state, for `Connector.pull`: what to write back into the
/// repository so that it declares what the host has (`infra pull`). The same as a plan's.
public typealias PullRequest = PlanRequest

/// One repository file `infra pull` writes, or removes when `content` is `nil`.
public struct PulledFile: Hashable, Sendable {
  /// Relative to the repository root.
  public var path: String
  public var content: Data?
  public var address: Address
  /// What changes, for people: `content (+2 −1)`.
  public var summary: String

  public init(path: String, content: Data?, address: Address, summary: String) {
    self.path = path
    self.content = content
    self.address = address
    self.summary = summary
  }
}

public struct PullResponse: Sendable {
  public var files: [PulledFile]
  /// Live differences the connector cannot write back, with what to do instead.
  public var problems: [ResourceProblem]

  public init(files: [PulledFile] = [], problems: [ResourceProblem] = []) {
    self.files = files
    self.problems = problems
  }
}

extension Connector {
  public func close() async {}

  /// Connectors that cannot list say so.
  public func list(_ request: ListRequest) async throws -> ListResponse {
    throw ConnectorCannotList()
  }

  /// Connectors that cannot pull say so for every resource asked about.
  public func pull(_ request: PullRequest) async throws -> PullResponse {
    PullResponse(
      problems: request.items.map {
        ResourceProblem(
          address: $0.resource.address,
          message: "its connector cannot write live state back into the repository")
      })
  }
}

/// One host, for `Connector.list`.
public struct ListRequest: Sendable {
  public var host: InventoryHost
  public var transport: any Transport

  public init(host: InventoryHost, transport: any Transport) {
    self.host = host
    self.transport = transport
  }
}

/// The resource files that would declare what a host has.
public struct ListResponse: Sendable {
  /// Addresses relative to the connector's prefix, with the file content for each.
  public var files: [(address: Address, content: Data)]

  public init(files: [(address: Address, content: Data)] = []) {
    self.files = files
  }
}

/// What `list` throws for a connector that cannot tell what a host has.
public struct ConnectorCannotList: Error, CustomStringConvertible {
  public init() {}
  public var description: String { "its connector cannot list what a host has" }
}
