import InfraCore
import InfraTransport

/// The connections of one run: each host is connected at most once, on first use, and every
/// connection is closed by `closeAll` whichever way the run ends.
public actor HostConnections {
  private let provider: any TransportProvider
  private var connections: [String: Task<any Transport, any Error>] = [:]

  public init(provider: any TransportProvider) {
    self.provider = provider
  }

  /// The connected transport for `host`, without escalation (connectors add their own); a
  /// failed connection is remembered and thrown again.
  public func transport(for host: InventoryHost) async throws -> any Transport {
    if let existing = connections[host.name] {
      return try await existing.value
    }
    let provider = provider
    let task = Task<any Transport, any Error> {
      let transport = try provider.makeTransport(for: host)
      try await transport.connect()
      return transport
    }
    connections[host.name] = task
    return try await task.value
  }

  /// Disconnects every host that was connected.
  public func closeAll() async {
    let open = connections.values
    connections.removeAll()
    for task in open {
      if let transport = try? await task.value {
        await transport.disconnect()
      }
    }
  }
}
