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
package struct UnlockJob: OncePerHostJob {
  package var hosts: [InventoryHost]
  /// Called as each host's lock is dealt with.
  package var onOutcome: (@Sendable (UnlockOutcome) -> Void)?

  package init(_ hosts: [InventoryHost], onOutcome: (@Sendable (UnlockOutcome) -> Void)? = nil) {
    self.hosts = hosts
    self.onOutcome = onOutcome
  }

  package var kind: RunKind { .unlock }

  package func perform(_ hosts: [InventoryHost], in context: RunContext) async
    -> JobResult<[UnlockOutcome]>
  {
    let folder = context.workspace.config.lockFolder
    return await context.oncePerHost(
      hosts,
      report: { outcome in
        if case .removed(let holder, let raw) = outcome.status {
          context.emit(.lockRemoved(host: outcome.host, holder: holder?.description ?? raw))
        }
        onOutcome?(outcome)
      },
      work: { host in
        let name = host.host.name
        do {
          guard
            let (holder, raw) = try await HostLock(host: name, folder: folder)
              .forceRelease(through: host.transport(for: .lock))
          else { return UnlockOutcome(host: name, status: .notLocked) }
          return UnlockOutcome(host: name, status: .removed(holder: holder, raw: raw))
        } catch {
          return UnlockOutcome(host: name, status: .failed("\(error)"))
        }
      })
  }
}

extension UnlockOutcome: OncePerHost {
  package static func unreachable(_ host: String, _ reason: String) -> UnlockOutcome {
    UnlockOutcome(host: host, status: .unreachable(reason))
  }

  package static func stopped(_ host: String) -> UnlockOutcome {
    UnlockOutcome(host: host, status: .stopped)
  }

  /// Removed is changed, not locked is unchanged.
  package var stats: HostStats {
    var stats = HostStats(host: host)
    switch status {
    case .removed: (stats.ok, stats.changed) = (1, 1)
    case .notLocked: (stats.ok, stats.unchanged) = (1, 1)
    case .failed: stats.failed = 1
    case .unreachable: stats.unreachable = 1
    case .stopped: stats.skipped = 1
    }
    return stats
  }

  package var succeeded: Bool {
    switch status {
    case .removed, .notLocked: true
    default: false
    }
  }
}
