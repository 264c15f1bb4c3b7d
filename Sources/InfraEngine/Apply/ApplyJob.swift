import Foundation
import InfraCore
import InfraTransport

/// What an apply did: its plan and, when it applied anything, the outcomes.
public struct ApplyOutput: Sendable {
  /// The plan as made, or as checked for a saved plan; there also when nothing was applied.
  public var plan: Plan
  /// `nil` when nothing was applied: no changes, a failure or stale saved plan, declined at
  /// the confirmation, or stopped first.
  public var applied: ApplyResult?
  /// A warning for each lock taken over from a run that was gone, and for each lock that
  /// could not be given back at the end (with why, and what removes it); each was a
  /// `diagnostic` event of the run too.
  public var lockWarnings: [Diagnostic] = []
}

/// `infra apply`: locks the hosts, plans, asks `approve`, then makes the hosts match.
public struct ApplyJob: RunJob {
  /// What is planned, and so what may be applied.
  public var selection: PlanSelection
  /// Shown the plan before anything changes; `false` declines it.
  public var approve: (@Sendable (Plan) async -> Bool)?
  /// How hosts are locked before they are read; `nil` takes no lock.
  public var locking: LockSettings?

  /// An apply of `selection`; without `approve`, the plan is applied without asking.
  public init(
    _ selection: PlanSelection = PlanSelection(), approve: (@Sendable (Plan) async -> Bool)? = nil,
    locking: LockSettings? = LockSettings()
  ) {
    self.selection = selection
    self.approve = approve
    self.locking = locking
  }

  /// `apply`, as `run_start` and the artifacts say it.
  public var kind: RunKind { .apply }

  /// The resources the selection picks, host by host, as `PlanJob` would plan them.
  public func prepare(_ workspace: Workspace) -> (scope: RunScope, work: [HostShares]) {
    PlanJob(selection).prepare(workspace)
  }

  /// Locks the hosts, plans, asks `approve`, and applies the changes of every host whose
  /// resources could all be planned (a host with any failure gets none of its changes); the
  /// locks are released at the end.
  public func perform(_ work: [HostShares], in context: RunContext) async -> JobResult<ApplyOutput>
  {
    await Self.apply(
      work.map { ($0.host, $0.resourceCount) }, locking: locking, approve: approve,
      despiteFailures: true, in: context
    ) {
      await Planner(context: context).plan(work) { host, share in
        // A host with nothing to change is done once it is planned.
        if share.changes.isEmpty { context.hostDone(host, share.stats(for: host, outcomes: [])) }
      }
    }
  }

  /// The steps every apply takes: lock `hosts` (each with the number of resources it may
  /// change), make the plan, have it approved, apply it, release the locks, and report every
  /// host done. With `despiteFailures`, the hosts whose resources could all be planned are
  /// applied when others could not (a host with any failure gets none of its changes);
  /// without, a plan with any failure is not applied at all.
  static func apply(
    _ scope: [(host: InventoryHost, resources: Int)], locking: LockSettings?,
    approve: (@Sendable (Plan) async -> Bool)?, despiteFailures: Bool, in context: RunContext,
    plan makePlan: () async -> Plan
  ) async -> JobResult<ApplyOutput> {
    let hosts = scope.map(\.host)
    let workspace = context.workspace
    var settings = locking
    settings?.folder = locking?.folder ?? workspace.config.lockFolder
    settings?.lease = locking?.lease ?? .seconds(workspace.config.lockLease)
    let holder = LockHolder.current(run: context.runID, checkout: workspace.repository.root.path)
    var locks = HeldLocks(holder: holder)
    if let settings {
      locks = await HeldLocks.take(hosts, settings: settings, holder: holder, fleet: context.fleet)
      for warning in locks.takeovers { context.emit(.diagnostic(warning)) }
    }
    let plan: Plan
    if locks.failures.isEmpty {
      plan = await makePlan()
    } else {
      // Nothing is planned: a locked host's resources failed, the others' were not reached.
      plan = Plan(failures: locks.failures, diagnostics: workspace.diagnostics.all)
      for failure in locks.failures { context.emit(.planFailed(failure)) }
      let locked = Set(locks.failures.map(\.host))
      for (host, resources) in scope {
        var stats = HostStats(host: host.name)
        if locked.contains(host.name) {
          stats.failed = resources
        } else {
          stats.skipped = resources
        }
        context.hostDone(host.name, stats)
      }
    }
    context.planned(plan)
    var output = ApplyOutput(plan: plan)
    var declined = false
    if plan.hasChanges, despiteFailures || !plan.hasFailures, !context.isStopped {
      if await approve?(plan) ?? true {
        if !context.isStopped {
          output.applied = await Applier(context: context).apply(plan) { host, applied in
            context.hostDone(
              host, plan.stats(for: host, outcomes: applied.outcomes, lost: applied.lost != nil))
          }
        }
      } else {
        declined = true
      }
    }
    let kept = await locks.release(through: context.fleet)
    for warning in kept { context.emit(.diagnostic(warning)) }
    output.lockWarnings = locks.takeovers + kept
    for host in hosts {
      context.hostDone(
        host.name,
        plan.stats(
          for: host.name, outcomes: output.applied?.outcomes ?? [],
          lost: output.applied?.lostHosts[host.name] != nil))
    }
    let failed = plan.hasFailures || !(output.applied?.succeeded ?? true)
    return JobResult(output: output, failed: failed, declined: declined)
  }
}

/// `infra apply PLANFILE`: applies a saved plan exactly, after checking that nothing it was
/// planned against has moved; a stale plan is not applied at all.
public struct SavedApplyJob: RunJob {
  /// The plan to apply, as it was saved.
  public var saved: SavedPlan
  /// How hosts are locked before they are read; `nil` takes no lock.
  public var locking: LockSettings?

  /// An apply of `saved`; it is not asked about again, as it was reviewed when saved.
  public init(_ saved: SavedPlan, locking: LockSettings? = LockSettings()) {
    self.saved = saved
    self.locking = locking
  }

  /// `apply`, as `run_start` and the artifacts say it.
  public var kind: RunKind { .apply }

  /// The saved plan's hosts and changes, not every resource of the repository.
  public func prepare(_ workspace: Workspace) -> (scope: RunScope, work: SavedPlanCheck) {
    let hosts = Set(saved.plan.changes.map(\.host))
    return (
      RunScope(
        hosts: workspace.inventory.hosts.filter { hosts.contains($0.name) },
        resources: saved.plan.changes.count),
      SavedPlanCheck(saved, in: workspace)
    )
  }

  /// Locks the plan's hosts, checks that nothing it was planned against moved, and applies it;
  /// when any of it is stale, nothing is applied.
  public func perform(_ check: SavedPlanCheck, in context: RunContext) async
    -> JobResult<ApplyOutput>
  {
    let counts = Dictionary(grouping: saved.plan.changes, by: \.host).mapValues(\.count)
    // A saved plan was reviewed when it was saved: it is not asked about again, and one that
    // is stale in part is not applied at all.
    return await ApplyJob.apply(
      context.workspace.inventory.hosts.compactMap { host in
        counts[host.name].map { (host, $0) }
      }, locking: locking,
      approve: nil, despiteFailures: false, in: context
    ) {
      let plan = await check.verify(in: context)
      // An unreachable host was reported by its own event, as in a plan.
      for failure in plan.failures where failure.kind != .unreachable {
        context.emit(.planFailed(failure))
      }
      context.emit(contentsOf: plan.changes.map(RunEvent.changePlanned))
      return plan
    }
  }
}
