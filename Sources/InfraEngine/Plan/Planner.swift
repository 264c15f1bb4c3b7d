import InfraCore
import InfraTransport

/// Reads live state and plans, host by host through the fleet; a host's connectors read and
/// plan at the same time, and their results keep config order.
struct Planner: Sendable {
  var context: RunContext

  /// Plans `work`; `finished` gets each host's share of the plan as soon as it is known.
  func plan(_ work: [HostShares], finished: @escaping @Sendable (String, Plan) -> Void) async
    -> Plan
  {
    let byHost = Dictionary(work.map { ($0.host.name, $0) }, uniquingKeysWith: { a, _ in a })
    let outcomes = await context.fleet.each(
      work.map(\.host),
      finished: { host, outcome in
        finished(host.name, Self.share(of: outcome, byHost[host.name]))
      },
      work: { host in await planHost(host, byHost[host.host.name]?.shares ?? []) })
    var plan = Plan(diagnostics: context.workspace.diagnostics.all)
    for (outcome, hostWork) in zip(outcomes, work) {
      plan.add(Self.share(of: outcome, hostWork))
    }
    let hostOrder = context.workspace.inventory.order
    plan.changes.sort {
      ($0.address, hostOrder[$0.host] ?? 0) < ($1.address, hostOrder[$1.host] ?? 0)
    }
    return plan
  }

  /// A host's share of the plan, whatever became of its work: an unreachable host fails all
  /// its resources, a stopped one skips them.
  static func share(of outcome: HostOutcome<Plan>, _ work: HostShares?) -> Plan {
    guard let work else { return Plan() }
    switch outcome {
    case .done(let plan): return plan
    case .unreachable(let reason):
      return Plan(failures: [.unreachable(work.host.name, reason, resources: work.resourceCount)])
    case .stopped:
      return Plan(skipped: work.shares.flatMap(\.resources).map(ResourceRef.init))
    }
  }

  private func planHost(_ host: HostWork, _ shares: [Share]) async -> Plan {
    var result = Plan()
    var triggered: [(op: TriggeredOp, item: PlanItem)] = []
    var conditional: [Triggers.Conditional] = []
    for share in await host.concurrently(shares, { await plan($0, on: host) }) {
      result.add(share.plan)
      triggered += share.triggered
      conditional += share.conditional
    }
    let order = Dictionary(
      context.workspace.connectors.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { a, _ in a }
    )
    let triggers = Triggers(host: host.host.name, order: order)
    for failure in triggers.settle(conditional, in: &result) {
      context.emit(.planFailed(failure))
    }
    triggers.resolve(triggered, in: &result)
    context.emit(contentsOf: result.changes.map(RunEvent.changePlanned))
    return result
  }

  /// A connector's share of a host's plan, and the ops it plans only if triggered.
  private struct SharePlan: Sendable {
    var plan = Plan()
    var triggered: [(op: TriggeredOp, item: PlanItem)] = []
    var conditional: [Triggers.Conditional] = []
  }

  private func plan(_ share: Share, on host: HostWork) async -> SharePlan {
    let instance = share.instance
    let name = host.host.name
    var result = Plan()
    var triggered: [(op: TriggeredOp, item: PlanItem)] = []
    var conditional: [Triggers.Conditional] = []
    func fail(_ failure: Failure) {
      context.emit(.planFailed(failure))
      result.failures.append(failure)
    }
    // The resources the connector's failure leaves unplanned: all of them until the read
    // answered, then those it answered for (the others failed already).
    var unplanned = share.resources.count
    do {
      let read = try await host.call(instance, "read", resources: share.resources.count) {
        try await instance.connector.read(
          ReadRequest(
            host: host.host, transport: $0, resources: share.resources, facts: host.facts))
      }
      var items: [PlanItem] = []
      items.reserveCapacity(share.resources.count)
      for resource in share.resources {
        if let live = read.states[resource.address] {
          context.emit(.resourceRead(host: name, address: resource.address, exists: live.exists))
          items.append(PlanItem(resource: resource, live: live))
        } else {
          fail(
            Failure(
              kind: .resource, host: name, address: resource.address,
              message: "the connector returned no live state for it"))
        }
      }
      let planned = items
      unplanned = items.count
      let response = try await host.call(instance, "plan", resources: items.count) {
        try await instance.connector.plan(
          PlanRequest(host: host.host, transport: $0, items: planned))
      }
      // Only the items the connector answered about: a share of many unchanged resources
      // would otherwise hold a second table of them all.
      var answered = Set(response.problems.map(\.address))
      answered.formUnion(response.ops.map(\.address))
      answered.formUnion(response.triggered.map(\.op.address))
      let byAddress = Dictionary(
        items.lazy.filter { answered.contains($0.resource.address) }
          .map { ($0.resource.address, $0) },
        uniquingKeysWith: { a, _ in a })
      var handled: Set<Address> = []
      for problem in response.problems where handled.insert(problem.address).inserted {
        guard !problem.unless.isEmpty, let item = byAddress[problem.address] else {
          fail(
            Failure(
              kind: .resource, host: name, address: problem.address, message: problem.message))
          continue
        }
        // Settled once the host's other connectors have planned.
        let op = response.ops.first { $0.address == problem.address }
        conditional.append(
          Triggers.Conditional(
            problem: problem, change: op.map { Change(planned: $0, of: item, on: name) },
            item: item))
      }
      for op in response.ops {
        guard let item = byAddress[op.address], handled.insert(op.address).inserted else {
          continue
        }
        result.changes.append(Change(planned: op, of: item, on: name))
      }
      for item in items where !handled.contains(item.resource.address) {
        result.unchanged.append(ResourceRef(item.resource))
      }
      let failed = Set(response.problems.map(\.address))
      for candidate in response.triggered where !failed.contains(candidate.op.address) {
        if let item = byAddress[candidate.op.address] { triggered.append((candidate, item)) }
      }
    } catch {
      // A call the stop cut short is no failure: the host's share is skipped as a whole.
      guard !Task.isCancelled, !context.isStopped else { return SharePlan(plan: result) }
      fail(
        Failure(
          kind: .connector, host: name, connector: instance.id, message: "\(error)",
          resources: unplanned))
    }
    return SharePlan(plan: result, triggered: triggered, conditional: conditional)
  }
}

/// What a plan covers.
public struct PlanSelection: Sendable {
  /// Plan only resources under these paths; empty plans everything.
  public var only: [AddressPattern]
  /// Plan only what the workspace's change set includes (`infra plan --changed`).
  public var changedOnly: Bool
  /// Plan only the resources of these hosts (`--limit`); every host when `nil`.
  public var hosts: Set<String>?

  /// Selects the resources under `only` (all when empty); with `changedOnly`, of the change set;
  /// with `hosts`, of those hosts.
  public init(only: [AddressPattern] = [], changedOnly: Bool = false, hosts: Set<String>? = nil) {
    self.only = only
    self.changedOnly = changedOnly
    self.hosts = hosts
  }

  /// The resources it selects in `workspace`, by host and connector.
  package func shares(in workspace: Workspace) -> [HostShares] {
    let changes = changedOnly ? workspace.changes : nil
    return workspace.shares { _, resource in
      (only.isEmpty || only.contains { $0.matches(resource.address) })
        && (changes?.includes(resource) ?? true) && (hosts?.contains(resource.host) ?? true)
    }
  }
}

/// `infra plan`: reads live state and plans, changing nothing.
public struct PlanJob: RunJob {
  /// What to plan.
  public var selection: PlanSelection

  /// A plan of `selection`; of every resource by default.
  public init(_ selection: PlanSelection = PlanSelection()) {
    self.selection = selection
  }

  /// `plan`, as `run_start` and the artifacts say it.
  public var kind: RunKind { .plan }

  /// The resources the selection picks, host by host.
  public func prepare(_ workspace: Workspace) -> (scope: RunScope, work: [HostShares]) {
    let work = selection.shares(in: workspace)
    let resources = work.reduce(0) { $0 + $1.resourceCount }
    return (RunScope(hosts: work.map(\.host), resources: resources), work)
  }

  /// Reads live state and plans every selected resource; fails when anything could not be planned.
  public func perform(_ work: [HostShares], in context: RunContext) async -> JobResult<Plan> {
    let plan = await Planner(context: context).plan(work) { host, share in
      context.hostDone(host, share.stats(for: host, outcomes: nil))
    }
    context.planned(plan)
    return JobResult(output: plan, failed: plan.hasFailures)
  }
}
