import InfraCore
import InfraTransport

/// Checks a saved plan against the repository and the hosts before it is applied: the files it
/// depends on must be unchanged, and every resource it changes must still be what it was
/// planned against (re-read now, in the same batches as a plan). Any difference makes the
/// plan stale, and a stale plan is not applied at all.
public struct SavedPlanCheck: Sendable {
  /// The saved plan, with the workspace's warnings, and the changes already known to be stale.
  var plan: Plan
  /// The resources to read again, by host and connector.
  var reads: [HostShares]
  /// What each change was planned against.
  var fingerprints: [ResourceRef: String]

  /// Works out what must be read again: the changes whose files did not move and that the
  /// repository still declares.
  init(_ saved: SavedPlan, in workspace: Workspace) {
    plan = saved.plan
    plan.diagnostics = workspace.diagnostics.all
    let moved = Set(saved.movedFiles(in: workspace.repository))
    var wanted: [ResourceRef: String] = [:]
    for change in saved.plan.changes {
      let changedFiles = ([Repository.configFileName] + change.sources).filter(moved.contains)
      if changedFiles.isEmpty {
        wanted[ResourceRef(address: change.address, host: change.host)] = change.liveFingerprint
      } else {
        plan.failures.append(
          Self.stale(
            change, "\(changedFiles.joined(separator: ", ")) changed since the plan was saved"))
      }
    }
    reads = workspace.shares { _, resource in wanted[ResourceRef(resource)] != nil }
    let declared = Set(reads.flatMap(\.shares).flatMap(\.resources).map(ResourceRef.init))
    for change in saved.plan.changes
    where wanted[ResourceRef(address: change.address, host: change.host)] != nil
      && !declared.contains(ResourceRef(address: change.address, host: change.host))
    {
      plan.failures.append(Self.stale(change, "the repository no longer declares it"))
    }
    fingerprints = wanted
  }

  /// The saved plan with a failure for every change that is stale, or whose host could not be
  /// read, and the payload of each sensitive change planned again.
  func verify(in context: RunContext) async -> Plan {
    let outcomes = await context.fleet.each(reads.map(\.host)) { host in
      let shares = reads.first { $0.host.name == host.host.name }?.shares ?? []
      return await host.concurrently(shares) { share in await check(share, on: host) }
    }
    var plan = plan
    var replanned: [ResourceRef: PlannedOp] = [:]
    for (work, outcome) in zip(reads, outcomes) {
      switch outcome {
      case .done(let checks):
        for check in checks {
          plan.failures += check.failures
          replanned.merge(check.replanned) { a, _ in a }
        }
      case .unreachable(let reason):
        plan.failures.append(.unreachable(work.host.name, reason, resources: work.resourceCount))
      case .stopped:
        plan.skipped += work.shares.flatMap(\.resources).map(ResourceRef.init)
      }
    }
    for index in plan.changes.indices where plan.changes[index].op.sensitive {
      let change = plan.changes[index]
      if let fresh = replanned[ResourceRef(address: change.address, host: change.host)] {
        plan.changes[index].op.payload = fresh.payload
      }
    }
    return plan
  }

  /// What checking one connector's share found: stale changes, and the sensitive changes
  /// planned again.
  private struct ShareCheck: Sendable {
    var failures: [Failure] = []
    var replanned: [ResourceRef: PlannedOp] = [:]
  }

  private func check(_ share: Share, on host: HostWork) async -> ShareCheck {
    let instance = share.instance
    let name = host.host.name
    do {
      let read = try await host.call(instance, "read", resources: share.resources.count) {
        try await instance.connector.read(
          ReadRequest(
            host: host.host, transport: $0, resources: share.resources, facts: host.facts))
      }
      var result = ShareCheck()
      var sensitive: [PlanItem] = []
      var savedChanges: [Change] = []
      for change in plan.changes where change.host == name && change.connector == instance.id {
        let ref = ResourceRef(address: change.address, host: change.host)
        guard let planned = fingerprints[ref] else { continue }
        guard let live = read.states[change.address] else {
          result.failures.append(
            Failure(
              kind: .resource, host: change.host, address: change.address,
              message: "the connector returned no live state for it"))
          continue
        }
        if change.op.sensitive {
          if let resource = share.resources.first(where: { ResourceRef($0) == ref }) {
            sensitive.append(PlanItem(resource: resource, live: live))
            savedChanges.append(change)
          }
        } else if live.fingerprint != planned {
          result.failures.append(
            Self.stale(change, "it changed on \(name) since the plan was saved"))
        }
      }
      guard !sensitive.isEmpty else { return result }
      // Nothing of a sensitive change was saved but what the reviewer saw: planned again, it
      // must show the same, and its fresh payload is what gets applied.
      let items = sensitive
      let response = try await host.call(instance, "plan", resources: items.count) {
        try await instance.connector.plan(PlanRequest(host: host.host, transport: $0, items: items))
      }
      for (item, saved) in zip(items, savedChanges) {
        let ref = ResourceRef(item.resource)
        let fresh = response.ops.first { $0.address == item.resource.address }
          .map { Change(planned: $0, of: item, on: name).op }
        if let problem = response.problems.first(where: { $0.address == item.resource.address }) {
          result.failures.append(
            Failure(
              kind: .resource, host: name, address: problem.address, message: problem.message))
        } else if let fresh, fresh.reviewed == saved.op.reviewed {
          result.replanned[ref] = fresh
        } else {
          result.failures.append(
            Self.stale(saved, "it is not what it was on \(name) when the plan was saved"))
        }
      }
      return result
    } catch {
      return ShareCheck(failures: [
        Failure(
          kind: .connector, host: name, connector: instance.id, message: "\(error)",
          resources: share.resources.count)
      ])
    }
  }

  private static func stale(_ change: Change, _ why: String) -> Failure {
    Failure(
      kind: .stale, host: change.host, address: change.address,
      message: "the saved plan is stale: \(why)")
  }
}
