import InfraCore

extension Applier {
  /// Per connector and host, in config and inventory order, for the results table.
  static func stats(
    _ plan: Plan, _ outcomes: [ChangeOutcome], connectors: [ConnectorID], hosts: [String]
  ) -> [ApplyStats] {
    var table: [String: ApplyStats] = [:]
    func update(_ connector: ConnectorID?, _ host: String, _ change: (inout ApplyStats) -> Void) {
      let key = "\(connector?.description ?? "")\u{0}\(host)"
      var entry = table[key] ?? ApplyStats(connector: connector, host: host)
      change(&entry)
      table[key] = entry
    }
    for outcome in outcomes {
      update(outcome.change.connector, outcome.change.host) { stats in
        switch outcome.status {
        case .applied: stats.changed += 1
        case .failed: stats.failed += 1
        case .skipped: stats.skipped += 1
        }
      }
    }
    for ref in plan.unchanged {
      update(ref.connector, ref.host) { $0.unchanged += 1 }
    }
    // An unreachable host fails before any connector runs: one row for the host.
    for failure in plan.failures {
      update(failure.connector, failure.host) {
        if failure.kind == .unreachable {
          $0.unreachable += failure.resources
        } else {
          $0.failed += failure.resources
        }
      }
    }
    let connectorOrder = Dictionary(
      connectors.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
    let hostOrder = Dictionary(hosts.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
    func rank(_ stats: ApplyStats) -> (Int, Int) {
      (stats.connector.flatMap { connectorOrder[$0] } ?? -1, hostOrder[stats.host] ?? 0)
    }
    return table.values.sorted { rank($0) < rank($1) }
  }
}
