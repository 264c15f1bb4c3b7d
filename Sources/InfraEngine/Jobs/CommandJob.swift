import Foundation
import InfraCore
import InfraTransport

/// How `infra run`'s command ended on one host.
package struct CommandOutcome: Sendable {
  package enum Status: Sendable, Equatable {
    case exited(Int32)
    case unreachable(String)
    /// It could not be run.
    case failed(String)
    /// It was stopped by its timeout (`infra run --timeout`), with what happened.
    case timedOut(String)
    /// The run was stopped before (or while) it ran there.
    case stopped
  }

  package var host: String
  package var status: Status
  package var stdout: Data
  package var stderr: Data
  package var duration: Duration

  package var succeeded: Bool { status == .exited(0) }
  /// Whether its timeout stopped it.
  package var timedOut: Bool {
    if case .timedOut = status { true } else { false }
  }
}

/// `infra run`: one shell command on many hosts through the same transports plans use, as
/// pyinfra's `exec` and Ansible's ad-hoc commands do: the quickest check that hosts are
/// reachable.
package struct CommandJob: OncePerHostJob {
  /// The command line, handed to `sh -c` on each host as written.
  package var command: String
  package var hosts: [InventoryHost]
  /// Through sudo, whatever the hosts say; the host's own setting when `nil`.
  package var escalation: Escalation?
  /// How long the command may take on each host.
  package var timeout: Duration?
  /// Called as each host's command ends, with what it printed.
  package var onOutcome: (@Sendable (CommandOutcome) -> Void)?

  package init(
    _ command: String, on hosts: [InventoryHost], escalation: Escalation? = nil,
    timeout: Duration? = nil, onOutcome: (@Sendable (CommandOutcome) -> Void)? = nil
  ) {
    self.command = command
    self.hosts = hosts
    self.escalation = escalation
    self.timeout = timeout
    self.onOutcome = onOutcome
  }

  package var kind: RunKind { .command }

  package func perform(_ hosts: [InventoryHost], in context: RunContext) async
    -> JobResult<[CommandOutcome]>
  {
    var result = await context.oncePerHost(
      hosts,
      report: { outcome in
        context.emit(
          .commandDone(
            host: outcome.host, exitCode: outcome.status.exitCode, error: outcome.status.error,
            duration: outcome.duration))
        onOutcome?(outcome)
      },
      work: { host in await run(on: host) })
    // As timeout(1) has it: a command stopped by its timeout anywhere makes the run exit 124.
    if result.output.contains(where: \.timedOut) { result.failureCode = 124 }
    return result
  }

  private func run(on host: HostWork) async -> CommandOutcome {
    let clock = ContinuousClock()
    let start = clock.now
    func outcome(_ status: CommandOutcome.Status, _ result: CommandResult? = nil)
      -> CommandOutcome
    {
      CommandOutcome(
        host: host.host.name, status: status, stdout: result?.stdout ?? Data(),
        stderr: result?.stderr ?? Data(), duration: clock.now - start)
    }
    let transport = host.transport(for: .command, escalation: escalation ?? host.host.escalation)
    do {
      let result = try await transport.run(.raw(command), input: nil, timeout: timeout)
      return outcome(.exited(result.exitCode), result)
    } catch TransportError.unreachable(_, let reason) {
      return outcome(.unreachable(reason))
    } catch TransportError.connectionLost(_, let reason, let partial) {
      return outcome(.unreachable(reason), partial)
    } catch let error as TransportError {
      if case .timedOut = error { return outcome(.timedOut(error.reason)) }
      return outcome(.failed(error.reason))
    } catch {
      return outcome(.failed("\(error)"))
    }
  }
}

extension CommandOutcome: OncePerHost {
  package static func unreachable(_ host: String, _ reason: String) -> CommandOutcome {
    CommandOutcome(
      host: host, status: .unreachable(reason), stdout: Data(), stderr: Data(), duration: .zero)
  }

  package static func stopped(_ host: String) -> CommandOutcome {
    CommandOutcome(host: host, status: .stopped, stdout: Data(), stderr: Data(), duration: .zero)
  }

  /// Exit 0 is ok (and changed: a command may change anything); anything else failed.
  package var stats: HostStats {
    var stats = HostStats(host: host)
    switch status {
    case .exited(0): (stats.ok, stats.changed) = (1, 1)
    case .exited, .failed, .timedOut: stats.failed = 1
    case .unreachable: stats.unreachable = 1
    case .stopped: stats.skipped = 1
    }
    return stats
  }
}

extension CommandOutcome.Status {
  /// The exit code, when the command ran to its end.
  package var exitCode: Int32? {
    if case .exited(let code) = self { code } else { nil }
  }

  /// Why it did not run to its end, when it did not.
  package var error: String? {
    switch self {
    case .exited: nil
    case .unreachable(let reason): "unreachable: \(reason)"
    case .failed(let reason), .timedOut(let reason): reason
    case .stopped: "the run was stopped"
    }
  }
}
