import InfraCore

extension Plan {
  /// Adds `other`'s changes, unchanged resources, failures and skipped resources to this plan.
  mutating func add(_ other: Plan) {
    changes += other.changes
    unchanged += other.unchanged
    failures += other.failures
    skipped += other.skipped
  }

  /// One host's numbers, from its share of the plan and, in an apply, the outcomes of its
  /// changes (`nil` in a plan, where planned changes count as changed): the one place stats
  /// of plans and applies are computed. A host whose connection was `lost` during the apply
  /// counts 1 unreachable, beside its ops: those it confirmed changed, the one in flight
  /// failed, the rest skipped.
  func stats(for host: String, outcomes: [ChangeOutcome]?, lost: Bool = false) -> HostStats {
    var stats = HostStats(host: host)
    stats.unchanged = unchanged.count { $0.host == host }
    stats.skipped = skipped.count { $0.host == host }
    for failure in failures where failure.host == host {
      if failure.kind == .unreachable {
        stats.unreachable += failure.resources
      } else {
        stats.failed += failure.resources
      }
    }
    let changes = changes.filter { $0.host == host }
    if let outcomes {
      let mine = outcomes.filter { $0.change.host == host }
      for outcome in mine {
        switch outcome.status {
        case .applied: stats.changed += 1
        case .failed: stats.failed += 1
        case .skipped: stats.skipped += 1
        }
      }
      // Planned changes that no apply reached (declined, or stopped before applying) are
      // skipped, unless counted already: a saved plan's change that is stale (failed), whose
      // check was stopped (skipped), or whose host cannot be reached (unreachable).
      if stats.unreachable == 0 {
        let reached = Set(mine.map(\.change.address))
        let counted = Set(failures.filter { $0.host == host }.compactMap(\.address))
          .union(skipped.filter { $0.host == host }.map(\.address))
        stats.skipped += changes.count {
          !reached.contains($0.address) && !counted.contains($0.address)
        }
      }
    } else {
      stats.changed = changes.count
    }
    if lost { stats.unreachable += 1 }
    stats.ok = stats.changed + stats.unchanged
    return stats
  }
}

extension ResourceRef {
  /// The instance of `resource` on its host.
  init(_ resource: Resource) {
    self.init(address: resource.address, host: resource.host)
  }
}

extension Failure {
  /// A host that could not be reached, leaving `resources` undone.
  static func unreachable(_ host: String, _ reason: String, resources: Int) -> Failure {
    Failure(kind: .unreachable, host: host, message: reason, resources: resources)
  }
}
