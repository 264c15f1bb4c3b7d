import InfraCore

/// How gathering facts ended on one host.
package struct FactsOutcome: Sendable {
  package enum Status: Sendable, Equatable {
    case gathered(HostFacts)
    case failed(String)
    case unreachable(String)
    case stopped
  }

  package var host: String
  package var status: Status
}

/// `infra hosts --facts`: connects to hosts and gathers their facts, as templates would see
/// them (Ansible's `setup` module), in one command per host.
package struct FactsJob: OncePerHostJob {
  package var hosts: [InventoryHost]
  /// Called as each host's facts are known.
  package var onOutcome: (@Sendable (FactsOutcome) -> Void)?

  package init(_ hosts: [InventoryHost], onOutcome: (@Sendable (FactsOutcome) -> Void)? = nil) {
    self.hosts = hosts
    self.onOutcome = onOutcome
  }

  package var kind: RunKind { .facts }

  package func perform(_ hosts: [InventoryHost], in context: RunContext) async
    -> JobResult<[FactsOutcome]>
  {
    await context.oncePerHost(
      hosts, report: { onOutcome?($0) },
      work: { host in
        do {
          return FactsOutcome(host: host.host.name, status: .gathered(try await host.facts.facts()))
        } catch {
          return FactsOutcome(host: host.host.name, status: .failed("\(error)"))
        }
      })
  }
}

extension FactsOutcome: OncePerHost {
  package static func unreachable(_ host: String, _ reason: String) -> FactsOutcome {
    FactsOutcome(host: host, status: .unreachable(reason))
  }

  package static func stopped(_ host: String) -> FactsOutcome {
    FactsOutcome(host: host, status: .stopped)
  }

  package var stats: HostStats {
    var stats = HostStats(host: host)
    switch status {
    case .gathered: (stats.ok, stats.unchanged) = (1, 1)
    case .failed: stats.failed = 1
    case .unreachable: stats.unreachable = 1
    case .stopped: stats.skipped = 1
    }
    return stats
  }

  package var succeeded: Bool {
    if case .gathered = status { true } else { false }
  }
}
