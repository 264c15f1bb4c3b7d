import Foundation
import InfraCore
import InfraTransport
import Synchronization

/// Who made a round trip to a host: a connector, or infra's own work there.
package enum RoundTripCaller: Hashable, Sendable, CustomStringConvertible {
  case connector(ConnectorID)
  /// Taking, releasing or removing the host's apply lock.
  case lock
  /// A command of `infra run`.
  case command
  /// Gathering the host's facts, when no other command carried them.
  case facts

  /// `prod/files`, `lock`, `command`: the keys of `round_trips` in a run's stats.
  package var description: String {
    switch self {
    case .connector(let id): id.description
    case .lock: "lock"
    case .command: "command"
    case .facts: "facts"
    }
  }
}

/// Counts the transport calls (`run`, `put`, `get`) made on each host by each caller: its
/// round trips, which batching keeps to a small constant however many resources there are.
package final class RoundTripCounter: Sendable {
  private let counts = Mutex<[String: [RoundTripCaller: Int]]>([:])

  package init() {}

  /// `transport`, counting its calls for `caller` on its host.
  func counting(_ transport: any Transport, for caller: RoundTripCaller) -> any Transport {
    CountingTransport(base: transport, counter: self, caller: caller)
  }

  fileprivate func add(host: String, caller: RoundTripCaller) {
    counts.withLock { $0[host, default: [:]][caller, default: 0] += 1 }
  }

  /// Round trips by caller for one host, as stats show them.
  package func counts(for host: String) -> [String: Int] {
    let counts = counts.withLock { $0[host] ?? [:] }
    return Dictionary(counts.map { ($0.key.description, $0.value) }, uniquingKeysWith: +)
  }
}

private struct CountingTransport: Transport {
  let base: any Transport
  let counter: RoundTripCounter
  let caller: RoundTripCaller

  var host: InventoryHost { base.host }

  func connect() async throws { try await base.connect() }

  func disconnect() async { await base.disconnect() }

  func release() async { await base.release() }

  func run(_ command: ShellCommand, input: Data?, timeout: Duration?) async throws
    -> CommandResult
  {
    counter.add(host: host.name, caller: caller)
    return try await base.run(command, input: input, timeout: timeout)
  }

  func run(
    _ command: ShellCommand, streaming input: StreamedInput, timeout: Duration?,
    output: StreamedOutput?
  ) async throws -> CommandResult {
    counter.add(host: host.name, caller: caller)
    return try await base.run(command, streaming: input, timeout: timeout, output: output)
  }

  func put(_ content: Data, at path: String, attributes: FileAttributes) async throws {
    counter.add(host: host.name, caller: caller)
    try await base.put(content, at: path, attributes: attributes)
  }

  func get(_ path: String) async throws -> Data {
    counter.add(host: host.name, caller: caller)
    return try await base.get(path)
  }
}
