import Foundation
import InfraCore
import InfraTransport
import Synchronization

/// Counts the transport calls (`run`, `put`, `get`) each connector makes on each host: its
/// round trips, which batching keeps to a small constant however many resources there are.
public final class RoundTripCounter: Sendable {
  private let counts = Mutex<[String: [String: Int]]>([:])

  public init() {}

  /// `transport`, counting its calls for `connectorID` on `host`.
  func counting(_ transport: any Transport, host: String, connectorID: String) -> any Transport {
    CountingTransport(base: transport, counter: self, hostName: host, connectorID: connectorID)
  }

  func add(host: String, connectorID: String) {
    counts.withLock { $0[host, default: [:]][connectorID, default: 0] += 1 }
  }

  /// Round trips by connector (`prefix/name`) for one host.
  public func counts(for host: String) -> [String: Int] {
    counts.withLock { $0[host] ?? [:] }
  }
}

private struct CountingTransport: Transport {
  let base: any Transport
  let counter: RoundTripCounter
  let hostName: String
  let connectorID: String

  var host: InventoryHost { base.host }

  func connect() async throws { try await base.connect() }

  func disconnect() async { await base.disconnect() }

  func run(_ command: ShellCommand, input: Data?, timeout: Duration?) async throws
    -> CommandResult
  {
    counter.add(host: hostName, connectorID: connectorID)
    return try await base.run(command, input: input, timeout: timeout)
  }

  func put(_ content: Data, at path: String, attributes: FileAttributes) async throws {
    counter.add(host: hostName, connectorID: connectorID)
    try await base.put(content, at: path, attributes: attributes)
  }

  func get(_ path: String) async throws -> Data {
    counter.add(host: hostName, connectorID: connectorID)
    return try await base.get(path)
  }
}
