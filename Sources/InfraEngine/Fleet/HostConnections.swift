import InfraCore
import InfraTransport

/// The connections of one run: each host is connected at most once, on first use, and every
/// connection is closed by `closeAll` whichever way the run ends.
actor HostConnections {
  private let provider: any TransportProvider
  private var connections: [String: Task<any Transport, any Error>] = [:]

  init(provider: any TransportProvider) {
    self.provider = provider
  }

  /// The connected transport for `host`, without escalation (connectors add their own); a
  /// failed connection is remembered and thrown again. A cancelled caller cancels the
  /// connecting, so that a host whose handshake hangs holds up no stopped run.
  func transport(for host: InventoryHost) async throws -> any Transport {
    let task: Task<any Transport, any Error>
    if let existing = connections[host.name] {
      task = existing
    } else {
      let provider = provider
      task = Task<any Transport, any Error> {
        let transport = try provider.makeTransport(for: host)
        try await transport.connect()
        return transport
      }
      connections[host.name] = task
    }
    return try await withTaskCancellationHandler {
      try await task.value
    } onCancel: {
      task.cancel()
    }
  }

  /// Disconnects every host that was connected, cancelling connections still being made.
  func closeAll() async {
    let open = connections.values
    connections.removeAll()
    for task in open {
      task.cancel()
      if let transport = try? await task.value {
        await transport.disconnect()
      }
    }
  }
}
