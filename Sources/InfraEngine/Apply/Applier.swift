import InfraCore
import InfraTransport
import Synchronization

/// How one planned change ended in an apply.
public struct ChangeOutcome: Hashable, Sendable {
  /// Applied, failed with the connector's message, or skipped with why it was not attempted.
  public enum Status: Hashable, Sendable {
    case applied
    case failed(String)
    /// Not attempted, e.g. because an earlier op on the same host failed.
    case skipped(String)
  }

  /// The change as it was planned.
  public var change: Change
  /// How it ended.
  public var status: Status
}

/// Counts for one connector on one host, for the results table.
public struct ApplyStats: Hashable, Sendable {
  /// `nil` for a host that could not be reached, before any connector ran.
  public var connector: ConnectorID?
  /// The host the counts are for.
  public var host: String
  /// Changes applied.
  public var changed = 0
  /// Changes that failed, plus resource instances that could not be planned.
  public var failed = 0
  /// Changes not attempted, after a failure on the same host or a stop.
  public var skipped = 0
  /// Resource instances that already matched.
  public var unchanged = 0
  /// Resource instances of a host that could not be reached.
  public var unreachable = 0

  /// Zero counts for `connector` on `host`.
  public init(connector: ConnectorID?, host: String) {
    self.connector = connector
    self.host = host
  }
}

/// The result of applying a plan.
public struct ApplyResult: Sendable {
  /// The plan that was applied.
  public var plan: Plan
  /// How each change of the plan ended, host by host in inventory order.
  public var outcomes: [ChangeOutcome]
  /// Per connector and host, in config and inventory order, for the results table.
  public var stats: [ApplyStats]
  /// The hosts whose connection was lost while their ops were applied, with why.
  public var lostHosts: [String: String]

  package init(
    plan: Plan, outcomes: [ChangeOutcome], stats: [ApplyStats], lostHosts: [String: String] = [:]
  ) {
    self.plan = plan
    self.outcomes = outcomes
    self.stats = stats
    self.lostHosts = lostHosts
  }

  /// True when every change was applied and the plan itself had no failures.
  public var succeeded: Bool {
    plan.failures.isEmpty && outcomes.allSatisfy { $0.status == .applied }
  }

  /// How many changes were applied.
  public var changedCount: Int { outcomes.count { $0.status == .applied } }
  /// How many changes failed, plus the resource instances the plan could not plan (on hosts
  /// that could be reached).
  public var failedCount: Int {
    outcomes.count { if case .failed = $0.status { true } else { false } }
      + plan.failures.filter { $0.kind != .unreachable }.reduce(0) { $0 + $1.resources }
  }
  /// How many resource instances are on hosts that could not be reached.
  public var unreachableCount: Int {
    plan.failures.filter { $0.kind == .unreachable }.reduce(0) { $0 + $1.resources }
  }
  /// How many changes were not attempted.
  public var skippedCount: Int {
    outcomes.count { if case .skipped = $0.status { true } else { false } }
  }
}

/// Executes a plan: hosts in parallel through the fleet; on each host, connectors in config
/// order with deletes last and in reverse order; a failure stops the rest of that host's ops,
/// other hosts go on. Never cut short: once the run stops, no further op starts, and ops
/// already running finish, so no file is left half-written.
struct Applier: Sendable {
  var context: RunContext

  /// How one host's changes ended, and why it became unreachable if its connection was lost.
  struct HostApplied: Sendable {
    var outcomes: [ChangeOutcome] = []
    var lost: String?
  }

  /// Applies `plan`; `finished` gets each host's outcomes as soon as they are known.
  func apply(_ plan: Plan, finished: @escaping @Sendable (String, HostApplied) -> Void)
    async -> ApplyResult
  {
    let byHost = Dictionary(grouping: plan.changes, by: \.host)
    let hosts = context.workspace.inventory.hosts.filter { byHost[$0.name] != nil }
    // Each host's outcomes are made once, when it finishes: skipping emits op_skipped.
    let ended = Mutex<[String: HostApplied]>([:])
    // A host with anything that could not be planned gets none of its changes: connectors
    // are applied in their order in infra.yaml, which is dependency order (packages before
    // the files that configure them), so its planned changes may depend on what failed.
    let failing = Set(plan.failures.map(\.host))
    for host in hosts where failing.contains(host.name) {
      let outcomes = skip(
        byHost[host.name] ?? [],
        because:
          "\(host.name) has resources that could not be planned, so none of its changes is applied")
      ended.withLock { $0[host.name] = HostApplied(outcomes: outcomes) }
      finished(host.name, HostApplied(outcomes: outcomes))
    }
    // `finished` hears of every host, also those the run never started.
    _ = await context.fleet.each(
      hosts.filter { !failing.contains($0.name) }, stoppable: false,
      finished: { host, outcome in
        let applied = self.applied(outcome, byHost[host.name])
        ended.withLock { $0[host.name] = applied }
        finished(host.name, applied)
      },
      work: { host in await applyHost(host, changes: byHost[host.host.name] ?? []) })
    let applied = hosts.compactMap { host in ended.withLock { $0[host.name] } }
    let outcomes = applied.flatMap(\.outcomes)
    return ApplyResult(
      plan: plan, outcomes: outcomes,
      stats: Self.stats(
        plan, outcomes, connectors: context.workspace.connectors.map(\.id),
        hosts: context.workspace.inventory.hosts.map(\.name)),
      lostHosts: ended.withLock { $0.compactMapValues(\.lost) })
  }

  private func applied(_ outcome: HostOutcome<HostApplied>, _ changes: [Change]?) -> HostApplied {
    switch outcome {
    case .done(let applied): return applied
    case .unreachable(let reason):
      return HostApplied(
        outcomes: skip(changes ?? [], because: "its host is unreachable: \(reason)"))
    case .stopped:
      return HostApplied(
        outcomes: skip(changes ?? [], because: stoppedReason ?? "the run was stopped"))
    }
  }

  private func skip(_ changes: [Change], because reason: String) -> [ChangeOutcome] {
    changes.map { change in
      context.emit(.opSkipped(change, reason: reason))
      return ChangeOutcome(change: change, status: .skipped(reason))
    }
  }

  /// The batches of one host in execution order: creates and updates by connector in config
  /// order, then deletes by connector in reverse order, then the changes that run last (those
  /// other changes triggered) by connector in config order.
  func batches(_ changes: [Change]) -> [[Change]] {
    let order = context.workspace.connectors.map(\.id)
    var batches: [[Change]] = []
    func add(_ ids: [ConnectorID], _ include: (Change) -> Bool) {
      for id in ids {
        let batch = changes.filter { $0.connector == id && include($0) }
        if !batch.isEmpty { batches.append(batch) }
      }
    }
    add(order) { !$0.op.runsLast && $0.action != .delete }
    add(order.reversed()) { !$0.op.runsLast && $0.action == .delete }
    add(order) { $0.op.runsLast }
    return batches
  }

  /// Why ops were not started because the run was stopped, if it was.
  private var stoppedReason: String? {
    switch context.fleet.stop.stopReason {
    case .canceled: "the run was canceled before it started"
    case .timeout: "the run timed out before it started"
    case nil: nil
    }
  }

  private func applyHost(_ host: HostWork, changes: [Change]) async -> HostApplied {
    var outcomes: [ChangeOutcome] = []
    var lost: String?
    var stopReason: String?
    for batch in batches(changes) {
      stopReason = stopReason ?? stoppedReason
      guard stopReason == nil, let instance = context.workspace.connector(batch[0].connector)
      else {
        let reason = stopReason ?? "connector \(batch[0].connector) is not in this workspace"
        for change in batch {
          // A change another one called for: the next plan will not know it was due.
          let lost =
            change.op.runsLast
            ? "; changes it follows may have been made already: do it yourself (\(change.op.message)) once that is fixed, for the next plan will not call for it"
            : ""
          outcomes += skip([change], because: reason + lost)
        }
        continue
      }
      let response = await applyBatch(batch, with: instance, on: host)
      if let reason = response.unreachable, lost == nil {
        // A lost connection: nothing more is tried on the host, and the lease of its lock
        // runs out on its own.
        lost = reason
        context.emit(.hostUnreachable(host: host.host.name, reason: reason))
        stopReason = "not applied because \(host.host.name) became unreachable: \(reason)"
      }
      var results: [Address: OpOutcome.Status] = [:]
      for outcome in response.outcomes { results[outcome.address] = outcome.status }
      for change in batch {
        switch results[change.address] {
        case .applied:
          outcomes.append(ChangeOutcome(change: change, status: .applied))
        case .failed(let message):
          outcomes.append(ChangeOutcome(change: change, status: .failed(message)))
          stopReason =
            stopReason ?? "not applied because \(change.address) failed on \(host.host.name)"
        case nil:
          let reason = stopReason ?? stoppedReason ?? "the connector did not apply it"
          outcomes += skip([change], because: reason)
        }
      }
    }
    return HostApplied(outcomes: outcomes, lost: lost)
  }

  /// One connector's ops on one host, reported as they start and end; the stop signal keeps
  /// the connector from starting the next one.
  private func applyBatch(_ batch: [Change], with instance: ConnectorInstance, on host: HostWork)
    async -> ApplyResponse
  {
    let byAddress = Dictionary(batch.map { ($0.address, $0) }, uniquingKeysWith: { a, _ in a })
    let reported = Mutex<Set<Address>>([])
    let (context, stop) = (context, context.fleet.stop)
    let reportAll: @Sendable ([OpOutcome]) -> Void = { outcomes in
      let events = reported.withLock { reported in
        outcomes.compactMap { outcome -> RunEvent? in
          guard let change = byAddress[outcome.address], reported.insert(outcome.address).inserted
          else { return nil }
          return switch outcome.status {
          case .applied: .opOK(change)
          case .failed(let message): .opFailed(change, message: message)
          }
        }
      }
      context.emit(contentsOf: events)
    }
    let report: @Sendable (OpOutcome) -> Void = { reportAll([$0]) }
    let response = await host.call(instance, "apply", resources: batch.count) { transport in
      await instance.connector.apply(
        ApplyRequest(
          host: host.host, transport: transport, ops: batch.map(\.op),
          shouldStop: { stop.isStopped },
          onStart: { address in
            if let change = byAddress[address] { context.emit(.opStart(change)) }
          },
          onOutcome: report, onOutcomes: reportAll))
    }
    // Outcomes the connector returned without reporting them as they happened.
    for outcome in response.outcomes { report(outcome) }
    return response
  }
}
