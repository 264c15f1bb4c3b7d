import Foundation
import InfraCore
import InfraTransport

/// One shell command run on many hosts through the same transports plans use, as pyinfra's
/// `exec` and Ansible's ad-hoc commands do: the quickest check that hosts are reachable.
public struct AdHocCommand: Sendable {
  /// How the command ended on one host.
  public struct Outcome: Sendable {
    public enum Status: Sendable, Equatable {
      case exited(Int32)
      case unreachable(String)
      case failed(String)
    }

    public var host: String
    public var status: Status
    public var stdout: Data
    public var stderr: Data
    public var duration: Duration

    public var succeeded: Bool { status == .exited(0) }
  }

  /// The command line, handed to `sh -c` on each host as written.
  public var command: String
  public var escalation: Escalation?
  public var timeout: Duration?
  public var parallelism: Int

  public init(
    command: String, escalation: Escalation? = nil, timeout: Duration? = nil, parallelism: Int = 10
  ) {
    self.command = command
    self.escalation = escalation
    self.timeout = timeout
    self.parallelism = parallelism
  }

  /// Runs on every host, at most `parallelism` at once, calling `onOutcome` as each finishes.
  public func run(
    on hosts: [InventoryHost], connections: HostConnections,
    onOutcome: @escaping @Sendable (Outcome) -> Void
  ) async -> [Outcome] {
    await forEachConcurrently(hosts, limit: parallelism) { host in
      let outcome = await run(on: host, connections: connections)
      onOutcome(outcome)
      return outcome
    }
  }

  private func run(on host: InventoryHost, connections: HostConnections) async -> Outcome {
    let clock = ContinuousClock()
    let start = clock.now
    func outcome(_ status: Outcome.Status, _ stdout: Data = Data(), _ stderr: Data = Data())
      -> Outcome
    {
      Outcome(
        host: host.name, status: status, stdout: stdout, stderr: stderr,
        duration: clock.now - start)
    }
    let transport: any Transport
    do {
      transport = try await connections.transport(for: host).escalated(
        escalation ?? host.escalation)
    } catch {
      return outcome(.unreachable(unreachableReason(error)))
    }
    do {
      let result = try await transport.run(.raw(command), input: nil, timeout: timeout)
      return outcome(.exited(result.exitCode), result.stdout, result.stderr)
    } catch let error as TransportError {
      if case .unreachable(_, let reason) = error { return outcome(.unreachable(reason)) }
      return outcome(.failed(error.reason))
    } catch {
      return outcome(.failed(reasonText(error)))
    }
  }
}
