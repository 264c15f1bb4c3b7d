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
  /// read.
  func verify(in context: RunContext) async -> Plan {
    let outcomes = await context.fleet.each(reads.map(\.host)) { host in
      let shares = reads.first { $0.host.name == host.host.name }?.shares ?? []
      return await host.concurrently(shares) { share in await check(share, on: host) }.flatMap {
        $0
      }
    }
    var plan = plan
    for (work, outcome) in zip(reads, outcomes) {
      switch outcome {
      case .done(let failures): plan.failures += failures
      case .unreachable(let reason):
        plan.failures.append(.unreachable(work.host.name, reason, resources: work.resourceCount))
      case .stopped:
        plan.skipped += work.shares.flatMap(\.resources).map(ResourceRef.init)
      }
    }
    return plan
  }

  private func check(_ share: Share, on host: HostWork) async -> [Failure] {
    let instance = share.instance
    do {
      let read = try await host.call(instance, "read", resources: share.resources.count) {
        try await instance.connector.read(
          ReadRequest(host: host.host, transport: $0, resources: share.resources))
      }
      return plan.changes.compactMap { change in
        guard change.host == host.host.name, change.connector == instance.id,
          let planned = fingerprints[ResourceRef(address: change.address, host: change.host)],
          read.states[change.address]?.fingerprint != planned
        else { return nil }
        guard read.states[change.address] != nil else {
          return Failure(
            kind: .resource, host: change.host, address: change.address,
            message: "the connector returned no live state for it")
        }
        return Self.stale(change, "it changed on \(host.host.name) since the plan was saved")
      }
    } catch {
      return [
        Failure(
          kind: .connector, host: host.host.name, connector: instance.id, message: "\(error)",
          resources: share.resources.count)
      ]
    }
  }

  private static func stale(_ change: Change, _ why: String) -> Failure {
    Failure(
      kind: .stale, host: change.host, address: change.address,
      message: "the saved plan is stale: \(why)")
  }
}
