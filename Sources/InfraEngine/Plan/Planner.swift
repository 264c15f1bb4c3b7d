import InfraCore
import InfraTransport
import Logging

/// Connector calls with their sizes and durations, at debug level: what `infra -v` shows.
let engineLogger = Logger(label: "infra.engine")

/// What to plan and how hard to work at it.
public struct PlanOptions: Sendable {
  /// Plan only resources under these paths; empty plans everything.
  public var only: [AddressPattern]
  /// The most hosts worked on at once.
  public var parallelism: Int
  /// Plan only what the workspace's change set includes (`infra plan --changed`).
  public var changedOnly: Bool

  public init(only: [AddressPattern] = [], parallelism: Int = 10, changedOnly: Bool = false) {
    self.only = only
    self.parallelism = parallelism
    self.changedOnly = changedOnly
  }
}

/// Reads live state and plans, host by host in parallel; connectors of one host in config order.
public struct Planner: Sendable {
  public var workspace: Workspace
  public var connections: HostConnections
  public var events: RunEventHandler?
  /// Once stopped, no further host or connector is started; what runs finishes.
  public var stop: StopSignal
  /// Called when a host's share of the plan is complete, with that share.
  /// Counts each connector's round trips on each host, when given.
  public var roundTrips: RoundTripCounter?
  public var hostFinished: (@Sendable (String, Plan) -> Void)?

  public init(
    workspace: Workspace, connections: HostConnections, events: RunEventHandler? = nil,
    stop: StopSignal = StopSignal(), roundTrips: RoundTripCounter? = nil,
    hostFinished: (@Sendable (String, Plan) -> Void)? = nil
  ) {
    self.workspace = workspace
    self.connections = connections
    self.events = events
    self.stop = stop
    self.roundTrips = roundTrips
    self.hostFinished = hostFinished
  }

  /// One connector's share of the work on one host.
  struct HostWork: Sendable {
    var instance: ConnectorInstance
    var resources: [Resource]
  }

  public func plan(_ options: PlanOptions = PlanOptions()) async -> Plan {
    let work = hostWork(matching: options.only, changedOnly: options.changedOnly)
    let hosts = workspace.inventory.hosts.filter { work[$0.name] != nil }
    let results = await forEachConcurrently(hosts, limit: options.parallelism) { host in
      let result = await planHost(host, work: work[host.name] ?? [])
      hostFinished?(host.name, result)
      return result
    }
    var plan = Plan(diagnostics: workspace.diagnostics.all)
    for result in results {
      plan.changes += result.changes
      plan.unchanged += result.unchanged
      plan.failures += result.failures
      plan.skipped += result.skipped
    }
    let hostOrder = workspace.inventory.order
    plan.changes.sort {
      ($0.address, hostOrder[$0.host] ?? 0) < ($1.address, hostOrder[$1.host] ?? 0)
    }
    return plan
  }

  /// Resources grouped by host, then by connector in config order.
  func hostWork(matching patterns: [AddressPattern], changedOnly: Bool = false) -> [String:
    [HostWork]]
  {
    var work: [String: [HostWork]] = [:]
    let changes = changedOnly ? workspace.changes : nil
    for instance in workspace.connectors {
      var byHost: [String: [Resource]] = [:]
      for resource in instance.resources
      where (patterns.isEmpty || patterns.contains(where: { $0.matches(resource.address) }))
        && (changes?.includes(resource) ?? true)
      {
        byHost[resource.host, default: []].append(resource)
      }
      for (host, resources) in byHost {
        work[host, default: []].append(HostWork(instance: instance, resources: resources))
      }
    }
    return work
  }

  private func planHost(_ host: InventoryHost, work: [HostWork]) async -> Plan {
    var result = Plan()
    guard !stop.isStopped else {
      result.skipped = work.flatMap { item in item.resources.map { ref($0, item.instance) } }
      return result
    }
    let transport: any Transport
    do {
      transport = try await connections.transport(for: host)
      events?(.hostConnect(host: host.name))
    } catch {
      let reason = unreachableReason(error)
      events?(.hostUnreachable(host: host.name, reason: reason))
      let count = work.reduce(0) { $0 + $1.resources.count }
      result.failures.append(
        Failure(kind: .unreachable, host: host.name, message: reason, resources: count))
      return result
    }
    // Connectors of one host read and plan at the same time; results keep config order.
    let shares = await withTaskGroup(of: (Int, Plan).self) { group in
      for (index, item) in work.enumerated() {
        group.addTask {
          var share = Plan()
          if stop.isStopped {
            share.skipped = item.resources.map { ref($0, item.instance) }
          } else {
            await plan(item, on: host, transport: transport, into: &share)
          }
          return (index, share)
        }
      }
      var shares: [(Int, Plan)] = []
      for await share in group { shares.append(share) }
      return shares.sorted { $0.0 < $1.0 }.map(\.1)
    }
    for share in shares {
      result.changes += share.changes
      result.unchanged += share.unchanged
      result.failures += share.failures
      result.skipped += share.skipped
    }
    return result
  }

  private func ref(_ resource: Resource, _ instance: ConnectorInstance) -> ResourceRef {
    ResourceRef(connectorID: instance.id, address: resource.address, host: resource.host)
  }

  private func plan(
    _ work: HostWork, on host: InventoryHost, transport: any Transport, into result: inout Plan
  ) async {
    let instance = work.instance
    let transport = instance.transport(transport, for: host, counter: roundTrips)
    let clock = ContinuousClock()
    let start = clock.now
    defer {
      engineLogger.debug(
        "planned \(work.resources.count) resources in \((clock.now - start).shortDescription)",
        metadata: ["host": "\(host.name)", "connector": "\(instance.id)"])
    }
    func fail(_ failure: Failure) {
      events?(.planFailed(failure))
      result.failures.append(failure)
    }
    let log = ConnectorLog.events(events, host: host.name, connectorID: instance.id)
    do {
      let read = try await ConnectorLog.$destination.withValue(log) {
        try await instance.connector.read(
          ReadRequest(host: host, transport: transport, resources: work.resources))
      }
      var items: [PlanItem] = []
      for resource in work.resources {
        if let live = read.states[resource.address] {
          events?(
            .resourceRead(
              host: host.name, connectorID: instance.id, address: resource.address,
              exists: live.exists))
          items.append(PlanItem(resource: resource, live: live))
        } else {
          fail(
            Failure(
              kind: .resource, host: host.name, connectorID: instance.id,
              address: resource.address, message: "the connector returned no live state for it"))
        }
      }
      let response = try await ConnectorLog.$destination.withValue(log) {
        try await instance.connector.plan(
          PlanRequest(host: host, transport: transport, items: items))
      }
      let byAddress = Dictionary(
        items.map { ($0.resource.address, $0) }, uniquingKeysWith: { a, _ in a })
      var handled: Set<Address> = []
      for problem in response.problems {
        handled.insert(problem.address)
        fail(
          Failure(
            kind: .resource, host: host.name, connectorID: instance.id, address: problem.address,
            message: problem.message))
      }
      for op in response.ops {
        guard let item = byAddress[op.address], handled.insert(op.address).inserted else {
          continue
        }
        let change = Change(
          prefix: instance.prefix, connector: instance.name, host: host.name, op: op,
          sources: item.resource.sources, notes: item.resource.notes,
          liveFingerprint: item.live.fingerprint)
        events?(.changePlanned(change))
        result.changes.append(change)
      }
      for item in items where !handled.contains(item.resource.address) {
        result.unchanged.append(ref(item.resource, instance))
      }
    } catch {
      fail(
        Failure(
          kind: .connector, host: host.name, connectorID: instance.id, message: reasonText(error),
          resources: work.resources.count))
    }
  }
}

/// The message of an error as people should read it.
func reasonText(_ error: any Error) -> String {
  String(describing: error)
}

/// Why a host could not be reached, without repeating the host's name.
func unreachableReason(_ error: any Error) -> String {
  (error as? TransportError)?.reason ?? reasonText(error)
}
