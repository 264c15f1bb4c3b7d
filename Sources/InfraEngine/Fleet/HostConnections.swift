import InfraCore
import InfraTransport

/// The connections of one run: each host is connected at most once, on first use, and every
/// connection is closed by `closeAll` whichever way the run ends. The first command sent on a
/// connection also gathers the host's facts.
actor HostConnections {
  private let provider: any TransportProvider
  /// Told each host's facts as they are gathered.
  private let onFacts: @Sendable (String, HostFacts) -> Void
  private var connections: [String: Task<any Transport, any Error>] = [:]
  private var gatherers: [String: FactGatherer] = [:]

  init(
    provider: any TransportProvider,
    onFacts: @escaping @Sendable (String, HostFacts) -> Void = { _, _ in }
  ) {
    self.provider = provider
    self.onFacts = onFacts
  }

  /// The connected transport for `host`, without escalation (connectors add their own), and
  /// what gathers its facts; a failed connection is remembered and thrown again. A cancelled
  /// caller cancels the connecting, so that a host whose handshake hangs holds up no stopped
  /// run.
  func transport(for host: InventoryHost) async throws -> (any Transport, FactGatherer) {
    let task: Task<any Transport, any Error>
    let gatherer: FactGatherer
    if let existing = connections[host.name], let known = gatherers[host.name] {
      (task, gatherer) = (existing, known)
    } else {
      let (provider, onFacts, name) = (provider, onFacts, host.name)
      gatherer = FactGatherer { onFacts(name, $0) }
      task = Task<any Transport, any Error> {
        let transport = try provider.makeTransport(for: host)
        try await transport.connect()
        return gatherer.wrapping(transport)
      }
      connections[host.name] = task
      gatherers[host.name] = gatherer
    }
    return try await withTaskCancellationHandler {
      (try await task.value, gatherer)
    } onCancel: {
      task.cancel()
    }
  }

  /// Disconnects every host that was connected, cancelling connections still being made;
  /// with `keepingWarm` (a run that ended as it should), a connection that may outlive the
  /// run for the next one stays open.
  func closeAll(keepingWarm: Bool = false) async {
    let open = connections.values
    connections.removeAll()
    gatherers.removeAll()
    for task in open {
      task.cancel()
      if let transport = try? await task.value {
        if keepingWarm {
          await transport.release()
        } else {
          await transport.disconnect()
        }
      }
    }
  }
}
