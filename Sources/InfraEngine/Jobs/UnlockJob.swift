import InfraCore
import InfraTransport

/// How `infra unlock` ended on one host.
package struct UnlockOutcome: Sendable {
  package enum Status: Sendable, Equatable {
    /// The lock was removed; it held `holder` (`raw` when that could not be read).
    case removed(holder: LockHolder?, raw: String)
    case notLocked
    case failed(String)
    case unreachable(String)
    case stopped
  }

  package var host: String
  package var status: Status
}

/// `infra unlock`: removes hosts' apply locks, whoever holds them, as left behind by a run that
/// was killed.
package struct UnlockJob: RunJob {
  package var hosts: [InventoryHost]
  /// Called as each host's lock is dealt with.
  package var onOutcome: (@Sendable (UnlockOutcome) -> Void)?

  package init(_ hosts: [InventoryHost], onOutcome: (@Sendable (UnlockOutcome) -> Void)? = nil) {
    self.hosts = hosts
    self.onOutcome = onOutcome
  }

  package var kind: RunKind { .unlock }

  package func prepare(_ workspace: Workspace) -> (scope: RunScope, work: [InventoryHost]) {
    (RunScope(hosts: hosts, resources: hosts.count), hosts)
  }

  package func perform(_ hosts: [InventoryHost], in context: RunContext) async
    -> JobResult<[UnlockOutcome]>
  {
    let folder = context.workspace.config.lockFolder
    let outcomes = await context.fleet.each(
      hosts,
      finished: { host, outcome in
        let outcome = Self.outcome(outcome, host: host.name)
        var stats = HostStats(host: host.name)
        switch outcome.status {
        case .removed(let holder, let raw):
          (stats.ok, stats.changed) = (1, 1)
          context.emit(.lockRemoved(host: host.name, holder: holder?.description ?? raw))
        case .notLocked: (stats.ok, stats.unchanged) = (1, 1)
        case .failed: stats.failed = 1
        case .unreachable: stats.unreachable = 1
        case .stopped: stats.skipped = 1
        }
        onOutcome?(outcome)
        context.hostDone(host.name, stats)
      },
      work: { host -> UnlockOutcome.Status in
        do {
          guard
            let (holder, raw) = try await HostLock(host: host.host.name, folder: folder)
              .forceRelease(through: host.transport(for: .lock))
          else { return .notLocked }
          return .removed(holder: holder, raw: raw)
        } catch {
          return .failed("\(error)")
        }
      })
    let results = zip(hosts, outcomes).map { Self.outcome($1, host: $0.name) }
    let failed = results.contains {
      switch $0.status {
      case .removed, .notLocked: false
      default: true
      }
    }
    return JobResult(output: results, failed: failed)
  }

  private static func outcome(_ outcome: HostOutcome<UnlockOutcome.Status>, host: String)
    -> UnlockOutcome
  {
    switch outcome {
    case .done(let status): UnlockOutcome(host: host, status: status)
    case .unreachable(let reason): UnlockOutcome(host: host, status: .unreachable(reason))
    case .stopped: UnlockOutcome(host: host, status: .stopped)
    }
  }
}
