import Foundation
import InfraCore
import InfraTransport
import Synchronization

/// What to run: a plan or an apply of a loaded workspace, and how.
public struct RunRequest: Sendable {
  public var kind: RunKind
  public var workspace: Workspace
  public var transports: any TransportProvider
  /// Work only on resources under these paths; empty means all.
  public var only: [AddressPattern]
  /// Work only on what the workspace's change set includes (`--changed`).
  public var changedOnly: Bool
  /// The most hosts worked on at once.
  public var parallelism: Int
  /// After this long the run stops as `timeout`: nothing new starts, running ops finish.
  public var timeout: Duration?
  /// Where to keep the run's artifacts; `nil` keeps none.
  public var artifacts: RunArtifacts.Settings?
  /// For an apply: shown the plan before anything changes; `false` ends the run as canceled.
  public var approve: (@Sendable (Plan) async -> Bool)?
  /// For an apply: how hosts are locked before they are read; `nil` takes no lock.
  public var locking: LockSettings?
  /// For an apply: apply this saved plan, after checking that nothing it was planned against
  /// has moved, instead of planning anew.
  public var savedPlan: SavedPlan?

  public init(
    kind: RunKind, workspace: Workspace, transports: any TransportProvider,
    only: [AddressPattern] = [], changedOnly: Bool = false, parallelism: Int = 10,
    timeout: Duration? = nil, artifacts: RunArtifacts.Settings? = nil,
    approve: (@Sendable (Plan) async -> Bool)? = nil, locking: LockSettings? = LockSettings(),
    savedPlan: SavedPlan? = nil
  ) {
    self.kind = kind
    self.workspace = workspace
    self.transports = transports
    self.only = only
    self.changedOnly = changedOnly
    self.parallelism = parallelism
    self.timeout = timeout
    self.artifacts = artifacts
    self.approve = approve
    self.locking = locking
    self.savedPlan = savedPlan
  }
}

/// How an apply locks its hosts.
public struct LockSettings: Sendable {
  /// The folder on each host that holds its lock; `nil` takes the workspace's
  /// (`locks: { folder: }` in infra.yaml).
  public var folder: String?
  /// How long to wait for a lock another run holds before giving up.
  public var wait: Duration

  public init(folder: String? = nil, wait: Duration = .zero) {
    self.folder = folder
    self.wait = wait
  }
}

/// What a run did.
public struct RunResult: Sendable {
  public var id: String
  public var kind: RunKind
  public var status: RunStatus
  /// 0 successful, 1 failed (or an apply declined at its confirmation), 130 canceled, 124 timed
  /// out.
  public var rc: Int32
  public var plan: Plan
  /// The apply's outcomes, when the run applied anything.
  public var apply: ApplyResult?
  /// Per host, in inventory order.
  public var stats: [HostStats]
  /// Every event, in order.
  public var events: [RunEventRecord]
  public var duration: Duration
  /// The run's artifacts folder, when it kept one.
  public var artifacts: URL?

  /// The events about one host, in order.
  public func events(host: String) -> [RunEventRecord] {
    events.filter { $0.event.host == host }
  }
}

/// One plan or apply you can watch and embed, as ansible-runner's run: an id, a status that
/// moves `unstarted → starting → running → successful | failed | canceled | timeout`, events
/// as they happen, artifacts on disk, per-host stats, cancel and timeout.
///
/// Cancel with `cancel()` or by cancelling the task that awaits `start()`: no new op starts,
/// ops already running finish (no file is left half-written), connections are closed, and the
/// run ends as `canceled`.
public final class Run: Sendable {
  public let id: String
  public let request: RunRequest
  /// The run's artifacts folder writer, when the request asked for one.
  public let artifacts: RunArtifacts?
  private let stop = StopSignal()
  private let roundTrips = RoundTripCounter()
  private let onEvent: (@Sendable (RunEventRecord) -> Void)?
  private let onStatus: (@Sendable (RunStatus) -> Void)?
  private let state = Mutex(State())
  /// Held while an event or status is numbered and handed to the handlers, so handlers see them
  /// in order even when hosts report at the same time. Separate from `state`, so a handler may
  /// read `status`.
  private let delivery = Mutex(())

  private struct State {
    var status = RunStatus.unstarted
    var records: [RunEventRecord] = []
    var started = false
    var hostsDone: Set<String> = []
  }

  /// Prepares a run; creates its artifacts folder now, so a folder that cannot be written is an
  /// error before any host is touched.
  public init(
    _ request: RunRequest, onEvent: (@Sendable (RunEventRecord) -> Void)? = nil,
    onStatus: (@Sendable (RunStatus) -> Void)? = nil
  ) throws {
    let id = makeRunID()
    self.id = id
    self.request = request
    self.onEvent = onEvent
    self.onStatus = onStatus
    artifacts = try request.artifacts.map { try RunArtifacts(id: id, settings: $0) }
    artifacts?.write(status: .unstarted)
  }

  public var status: RunStatus { state.withLock { $0.status } }

  /// Stops the run gracefully: nothing new starts; what is running finishes.
  public func cancel() {
    stop.stop(.canceled)
  }

  /// Runs to the end and returns what happened. A run starts once; later calls return at once
  /// with the status it has.
  public func start() async -> RunResult {
    let first = state.withLock { state in
      defer { state.started = true }
      return !state.started
    }
    guard first else { return result(plan: Plan(), apply: nil, duration: .zero) }
    // The work runs detached so that cancelling the caller only asks it to stop: an op that has
    // started is never cut off half-way.
    return await withTaskCancellationHandler {
      await Task.detached { await self.execute() }.value
    } onCancel: {
      self.cancel()
    }
  }

  // MARK: the run

  private func execute() async -> RunResult {
    let clock = ContinuousClock()
    let started = clock.now
    let workspace = request.workspace
    set(.starting)
    let connections = HostConnections(provider: request.transports)
    let planner = Planner(
      workspace: workspace, connections: connections, events: { self.emit($0) }, stop: stop,
      roundTrips: roundTrips,
      hostFinished: { host, share in
        // A host is done after planning in a plan, or in an apply when it has nothing to do.
        if self.request.kind == .plan || share.changes.isEmpty {
          self.hostDone(self.stats(host, share, outcomes: nil))
        }
      })
    let work = planner.hostWork(matching: request.only, changedOnly: request.changedOnly)
    emit(
      .runStart(
        kind: request.kind,
        hosts: workspace.inventory.hosts.map(\.name).filter { work[$0] != nil },
        resources: work.values.joined().reduce(0) { $0 + $1.resources.count }))
    for diagnostic in workspace.diagnostics { emit(.diagnostic(diagnostic)) }
    set(.running)

    let timer = request.timeout.map { limit in
      Task { [stop] in
        try? await Task.sleep(for: limit)
        stop.stop(.timeout)
      }
    }
    let locks = await lockHosts(work: work, connections: connections)
    let plan: Plan
    if !locks.failures.isEmpty {
      plan = Plan(failures: locks.failures, diagnostics: workspace.diagnostics.all)
      for failure in locks.failures { emit(.planFailed(failure)) }
    } else if let saved = request.savedPlan {
      plan = await SavedPlanCheck(
        saved: saved, workspace: workspace, connections: connections, roundTrips: roundTrips,
        parallelism: request.parallelism
      ).verify()
      for failure in plan.failures { emit(.planFailed(failure)) }
      for change in plan.changes { emit(.changePlanned(change)) }
    } else {
      plan = await planner.plan(
        PlanOptions(
          only: request.only, parallelism: request.parallelism, changedOnly: request.changedOnly))
    }
    artifacts?.write(plan: plan)
    emit(.planComplete(plan.summary))

    var applied: ApplyResult?
    var declined = false
    if request.kind == .apply, plan.hasChanges, !stop.isStopped,
      request.savedPlan == nil || !plan.hasFailures
    {
      if let approve = request.approve, await !approve(plan) {
        declined = true
      } else if !stop.isStopped {
        applied = await Applier(
          workspace: workspace, connections: connections, events: { self.emit($0) }, stop: stop,
          roundTrips: roundTrips,
          hostFinished: { host, outcomes in
            self.hostDone(self.stats(host, plan, outcomes: outcomes))
          }
        ).apply(plan, parallelism: request.parallelism)
      }
    }
    timer?.cancel()
    await locks.release()
    await connections.closeAll()

    let hosts = Set(plan.changes.map(\.host) + plan.unchanged.map(\.host)).union(
      plan.failures.map(\.host) + plan.skipped.map(\.host))
    for host in workspace.inventory.hosts.map(\.name) where hosts.contains(host) {
      hostDone(stats(host, plan, outcomes: applied?.outcomes))
    }
    let status: RunStatus
    switch stop.stopReason {
    case .timeout: status = .timeout
    case .canceled: status = .canceled
    case nil where declined: status = .canceled
    case nil:
      let failed = plan.hasFailures || !(applied?.succeeded ?? true)
      status = failed ? .failed : .successful
    }
    let duration = clock.now - started
    let allStats = workspace.inventory.hosts.compactMap { host in
      hosts.contains(host.name) ? stats(host.name, plan, outcomes: applied?.outcomes) : nil
    }
    let rc = declined ? 1 : status.rc
    emit(.runEnd(status: status, rc: rc, stats: allStats, duration: duration))
    artifacts?.write(rc: rc)
    set(status)
    var result = result(plan: plan, apply: applied, duration: duration)
    result.rc = rc
    return result
  }

  /// An apply locks every host it may change before reading any, and keeps the locks until it
  /// ends, whichever way: another apply of the same hosts waits or stops, never interleaves.
  private func lockHosts(work: [String: [Planner.HostWork]], connections: HostConnections) async
    -> HeldLocks
  {
    guard request.kind == .apply, var locking = request.locking else { return HeldLocks() }
    let workspace = request.workspace
    let saved = request.savedPlan.map { Set($0.changes.map(\.host)) }
    let hosts = workspace.inventory.hosts.filter {
      saved?.contains($0.name) ?? (work[$0.name] != nil)
    }
    locking.folder = locking.folder ?? workspace.config.lockFolder
    return await HeldLocks.take(
      hosts, settings: locking,
      holder: LockHolder.current(run: id, checkout: workspace.repository.root.path),
      connections: connections, parallelism: request.parallelism)
  }

  private func result(plan: Plan, apply: ApplyResult?, duration: Duration) -> RunResult {
    let (status, records) = state.withLock { ($0.status, $0.records) }
    let hosts = Set(
      plan.changes.map(\.host) + plan.unchanged.map(\.host) + plan.failures.map(\.host)
        + plan.skipped.map(\.host))
    let stats = request.workspace.inventory.hosts.compactMap { host in
      hosts.contains(host.name) ? self.stats(host.name, plan, outcomes: apply?.outcomes) : nil
    }
    return RunResult(
      id: id, kind: request.kind, status: status, rc: status.rc, plan: plan, apply: apply,
      stats: stats, events: records, duration: duration, artifacts: artifacts?.folder)
  }

  /// One host's numbers from its share of the plan and, in an apply, its outcomes.
  func stats(_ host: String, _ plan: Plan, outcomes: [ChangeOutcome]?) -> HostStats {
    var stats = HostStats(host: host)
    stats.unchanged = plan.unchanged.count { $0.host == host }
    stats.skipped = plan.skipped.count { $0.host == host }
    for failure in plan.failures where failure.host == host {
      if failure.kind == .unreachable {
        stats.unreachable += failure.resources
      } else {
        stats.failed += failure.resources
      }
    }
    let changes = plan.changes.count { $0.host == host }
    if request.kind == .plan {
      stats.changed = changes
    } else {
      let mine = (outcomes ?? []).filter { $0.change.host == host }
      for outcome in mine {
        switch outcome.status {
        case .applied: stats.changed += 1
        case .failed: stats.failed += 1
        case .skipped: stats.skipped += 1
        }
      }
      // Planned changes that no apply reached: declined, or stopped before applying.
      stats.skipped += changes - mine.count
    }
    stats.ok = stats.changed + stats.unchanged
    stats.roundTrips = roundTrips.counts(for: host)
    return stats
  }

  // MARK: events and status

  private func emit(_ event: RunEvent) {
    delivery.withLock { _ in
      let record = state.withLock { state in
        let record = RunEventRecord(
          runID: id, counter: state.records.count + 1, time: Date(), event: event)
        state.records.append(record)
        return record
      }
      artifacts?.append(record)
      onEvent?(record)
    }
  }

  private func hostDone(_ stats: HostStats) {
    let first = state.withLock { $0.hostsDone.insert(stats.host).inserted }
    if first { emit(.hostDone(stats)) }
  }

  private func set(_ status: RunStatus) {
    delivery.withLock { _ in
      state.withLock { $0.status = status }
      artifacts?.write(status: status)
      onStatus?(status)
    }
  }
}
