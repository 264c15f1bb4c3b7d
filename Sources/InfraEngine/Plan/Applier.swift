import InfraCore
import InfraTransport
import Synchronization

/// How one planned change ended in an apply.
public struct ChangeOutcome: Hashable, Sendable {
  public enum Status: Hashable, Sendable {
    case applied
    case failed(String)
    /// Not attempted, e.g. because an earlier op on the same host failed.
    case skipped(String)
  }

  public var change: Change
  public var status: Status
}

/// Counts for one connector on one host, for the results table.
public struct ApplyStats: Hashable, Sendable, Codable {
  public var connectorID: String
  public var host: String
  public var changed = 0
  public var failed = 0
  public var skipped = 0
  public var unchanged = 0

  public init(connectorID: String, host: String) {
    self.connectorID = connectorID
    self.host = host
  }
}

/// The result of applying a plan.
public struct ApplyResult: Sendable {
  public var plan: Plan
  public var outcomes: [ChangeOutcome]

  /// Per connector and host, in config and inventory order.
  public var stats: [ApplyStats]

  /// True when every change was applied and the plan itself had no failures.
  public var succeeded: Bool {
    plan.failures.isEmpty && outcomes.allSatisfy { $0.status == .applied }
  }

  public var changedCount: Int { outcomes.count { $0.status == .applied } }
  public var failedCount: Int {
    outcomes.count { if case .failed = $0.status { true } else { false } }
      + plan.failures.reduce(0) { $0 + $1.resources }
  }
  public var skippedCount: Int {
    outcomes.count { if case .skipped = $0.status { true } else { false } }
  }
}

/// Executes a plan: hosts in parallel; on each host, connectors in config order with deletes
/// last and in reverse order; a failure stops the rest of that host's ops, other hosts go on.
public struct Applier: Sendable {
  public var workspace: Workspace
  public var connections: HostConnections
  public var events: RunEventHandler?
  /// Once stopped, no further op is started; ops already running finish.
  public var stop: StopSignal
  /// Called when a host's ops are done, with their outcomes.
  /// Counts each connector's round trips on each host, when given.
  public var roundTrips: RoundTripCounter?
  public var hostFinished: (@Sendable (String, [ChangeOutcome]) -> Void)?

  public init(
    workspace: Workspace, connections: HostConnections, events: RunEventHandler? = nil,
    stop: StopSignal = StopSignal(), roundTrips: RoundTripCounter? = nil,
    hostFinished: (@Sendable (String, [ChangeOutcome]) -> Void)? = nil
  ) {
    self.workspace = workspace
    self.connections = connections
    self.events = events
    self.stop = stop
    self.roundTrips = roundTrips
    self.hostFinished = hostFinished
  }

  public func apply(_ plan: Plan, parallelism: Int = 10) async -> ApplyResult {
    let byHost = Dictionary(grouping: plan.changes, by: \.host)
    let hosts = workspace.inventory.hosts.filter { byHost[$0.name] != nil }
    let perHost = await forEachConcurrently(hosts, limit: parallelism) { host in
      let outcomes = await applyHost(host, changes: byHost[host.name] ?? [])
      hostFinished?(host.name, outcomes)
      return outcomes
    }
    let outcomes = perHost.flatMap { $0 }
    return ApplyResult(plan: plan, outcomes: outcomes, stats: stats(plan, outcomes))
  }

  /// The batches of one host in execution order: creates and updates by connector in config
  /// order, then deletes by connector in reverse order.
  func batches(_ changes: [Change]) -> [[Change]] {
    let order = workspace.connectors.map(\.id)
    var batches: [[Change]] = []
    for id in order {
      let batch = changes.filter { $0.connectorID == id && $0.action != .delete }
      if !batch.isEmpty { batches.append(batch) }
    }
    for id in order.reversed() {
      let batch = changes.filter { $0.connectorID == id && $0.action == .delete }
      if !batch.isEmpty { batches.append(batch) }
    }
    return batches
  }

  /// Why ops were not started because the run was stopped, if it was.
  private var stoppedReason: String? {
    switch stop.stopReason {
    case .canceled: "the run was canceled before it started"
    case .timeout: "the run timed out before it started"
    case nil: nil
    }
  }

  private func applyHost(_ host: InventoryHost, changes: [Change]) async -> [ChangeOutcome] {
    var outcomes: [ChangeOutcome] = []
    var stopReason: String?
    let transport: (any Transport)?
    do {
      transport = try await connections.transport(for: host)
    } catch {
      transport = nil
      stopReason = "host \(host.name) is unreachable: \(unreachableReason(error))"
    }
    let instances = Dictionary(
      workspace.connectors.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
    for batch in batches(changes) {
      stopReason = stopReason ?? stoppedReason
      guard stopReason == nil, let transport, let instance = instances[batch[0].connectorID] else {
        let reason = stopReason ?? "connector \(batch[0].connectorID) is not in this workspace"
        for change in batch {
          events?(.opSkipped(change, reason: reason))
          outcomes.append(ChangeOutcome(change: change, status: .skipped(reason)))
        }
        continue
      }
      let response = await applyBatch(batch, with: instance, on: host, transport: transport)
      var results: [Address: OpOutcome.Status] = [:]
      for outcome in response.outcomes { results[outcome.address] = outcome.status }
      for change in batch {
        switch results[change.address] {
        case .applied:
          outcomes.append(ChangeOutcome(change: change, status: .applied))
        case .failed(let message):
          outcomes.append(ChangeOutcome(change: change, status: .failed(message)))
          stopReason = stopReason ?? "not applied because \(change.address) failed on \(host.name)"
        case nil:
          let reason = stopReason ?? stoppedReason ?? "the connector did not apply it"
          events?(.opSkipped(change, reason: reason))
          outcomes.append(ChangeOutcome(change: change, status: .skipped(reason)))
        }
      }
    }
    return outcomes
  }

  /// One connector's ops on one host, reported as they start and end. Shielded from task
  /// cancellation: an op that has started always finishes, so no file is left half-written;
  /// the stop signal keeps the connector from starting the next one.
  private func applyBatch(
    _ batch: [Change], with instance: ConnectorInstance, on host: InventoryHost,
    transport: any Transport
  ) async -> ApplyResponse {
    let byAddress = Dictionary(batch.map { ($0.address, $0) }, uniquingKeysWith: { a, _ in a })
    let reported = ReportedOutcomes()
    let events = events
    let stop = stop
    let request = ApplyRequest(
      host: host, transport: instance.transport(transport, for: host, counter: roundTrips),
      ops: batch.map(\.op),
      shouldStop: { stop.isStopped },
      onStart: { address in
        if let change = byAddress[address] { events?(.opStart(change)) }
      },
      onOutcome: { outcome in
        guard let change = byAddress[outcome.address], reported.insert(outcome.address) else {
          return
        }
        switch outcome.status {
        case .applied: events?(.opOK(change))
        case .failed(let message): events?(.opFailed(change, message: message))
        }
      })
    let clock = ContinuousClock()
    let start = clock.now
    let connector = instance.connector
    let log = ConnectorLog.events(events, host: host.name, connectorID: instance.id)
    let response = await Task.detached {
      await ConnectorLog.$destination.withValue(log) { await connector.apply(request) }
    }.value
    engineLogger.debug(
      "applied \(response.outcomes.count) of \(batch.count) ops in \((clock.now - start).shortDescription)",
      metadata: ["host": "\(host.name)", "connector": "\(instance.id)"])
    // Outcomes the connector returned without reporting them as they happened.
    for outcome in response.outcomes { request.onOutcome(outcome) }
    return response
  }

  private func stats(_ plan: Plan, _ outcomes: [ChangeOutcome]) -> [ApplyStats] {
    var table: [String: ApplyStats] = [:]
    func update(_ connectorID: String, _ host: String, _ change: (inout ApplyStats) -> Void) {
      let key = "\(connectorID)\u{0}\(host)"
      var entry = table[key] ?? ApplyStats(connectorID: connectorID, host: host)
      change(&entry)
      table[key] = entry
    }
    for outcome in outcomes {
      update(outcome.change.connectorID, outcome.change.host) { stats in
        switch outcome.status {
        case .applied: stats.changed += 1
        case .failed: stats.failed += 1
        case .skipped: stats.skipped += 1
        }
      }
    }
    for ref in plan.unchanged {
      update(ref.connectorID, ref.host) { $0.unchanged += 1 }
    }
    for failure in plan.failures {
      if let connectorID = failure.connectorID {
        update(connectorID, failure.host) { $0.failed += failure.resources }
      } else {
        // An unreachable host fails before any connector runs: one row for the host.
        update("-", failure.host) { $0.failed += failure.resources }
      }
    }
    let connectorOrder = Dictionary(
      workspace.connectors.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { a, _ in a })
    let hostOrder = Dictionary(
      workspace.inventory.hosts.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
    return table.values.sorted {
      (connectorOrder[$0.connectorID] ?? -1, hostOrder[$0.host] ?? 0)
        < (connectorOrder[$1.connectorID] ?? -1, hostOrder[$1.host] ?? 0)
    }
  }
}

/// The ops whose outcome has been reported, so each is reported once.
private final class ReportedOutcomes: Sendable {
  private let addresses = Mutex<Set<Address>>([])

  /// Records `address`; false when it was recorded already.
  func insert(_ address: Address) -> Bool {
    addresses.withLock { $0.insert(address).inserted }
  }
}
