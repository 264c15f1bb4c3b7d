import InfraCore

/// What a job that does one thing on each host (run a command, remove a lock) ends with there,
/// whatever became of the host's work.
package protocol OncePerHost: Sendable {
  /// The host could not be reached, for `reason`.
  static func unreachable(_ host: String, _ reason: String) -> Self
  /// The run stopped before (or while) the thing was done on `host`.
  static func stopped(_ host: String) -> Self
  /// The host's stats: one thing, counted where it ended.
  var stats: HostStats { get }
  /// Whether it ended as it should.
  var succeeded: Bool { get }
}

/// A job that does one thing on each of some hosts: it goes through as many things as hosts.
package protocol OncePerHostJob: RunJob where Work == [InventoryHost] {
  /// The hosts it works on, in inventory order.
  var hosts: [InventoryHost] { get }
}

extension OncePerHostJob {
  package func prepare(_ workspace: Workspace) -> (scope: RunScope, work: [InventoryHost]) {
    (RunScope(hosts: hosts, resources: hosts.count), hosts)
  }
}

extension RunContext {
  /// Does `work` once on each of `hosts`; each host's result goes to `report` and is the host's
  /// `host_done` as soon as it is known. The results, in the order of `hosts`.
  func oncePerHost<Result: OncePerHost>(
    _ hosts: [InventoryHost], report: @escaping @Sendable (Result) -> Void,
    work: @escaping @Sendable (HostWork) async -> Result
  ) async -> JobResult<[Result]> {
    let outcomes = await fleet.each(
      hosts,
      finished: { host, outcome in
        let result = Self.result(outcome, host: host.name)
        report(result)
        self.hostDone(host.name, result.stats)
      }, work: work)
    let results = zip(hosts, outcomes).map { Self.result($1, host: $0.name) }
    return JobResult(output: results, failed: results.contains { !$0.succeeded })
  }

  private static func result<Result: OncePerHost>(_ outcome: HostOutcome<Result>, host: String)
    -> Result
  {
    switch outcome {
    case .done(let result): result
    case .unreachable(let reason): .unreachable(host, reason)
    case .stopped: .stopped(host)
    }
  }
}
