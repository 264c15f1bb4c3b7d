import InfraCore
import InfraTransport

/// One connected host, for the work of a run on it: the one way that work reaches the host.
package struct HostWork: Sendable {
  package let host: InventoryHost
  /// The host's connection, without escalation.
  let connection: any Transport
  /// The host's facts, gathered with the first command of the run there.
  package let facts: HostFactsSource
  let fleet: Fleet

  /// A call of `instance` on this host: `body` gets the host's connection escalated as the
  /// connector says (its own `sudo:`, or the host's), with its round trips counted; what the
  /// connector logs meanwhile is about this host and connector; the call is timed.
  package func call<Value: Sendable>(
    _ instance: ConnectorInstance, _ what: String, resources: Int,
    _ body: @Sendable (any Transport) async throws -> Value
  ) async rethrows -> Value {
    let transport = fleet.roundTrips.counting(
      connection.escalated(instance.config.escalation ?? host.escalation),
      for: .connector(instance.id))
    let clock = ContinuousClock()
    let start = clock.now
    defer {
      engineLogger.debug(
        "\(what) of \(resources) resources took \((clock.now - start).shortDescription)",
        metadata: ["host": "\(host.name)", "connector": "\(instance.id)"])
    }
    return try await ProgramLog.$destination.withValue(
      fleet.destination(host: host.name, connector: instance.id)
    ) {
      try await body(transport)
    }
  }

  /// The connection for infra's own work on this host (its lock, a command), escalated as
  /// given and counted for `caller`.
  package func transport(for caller: RoundTripCaller, escalation: Escalation = .none)
    -> any Transport
  {
    fleet.roundTrips.counting(connection.escalated(escalation), for: caller)
  }

  /// Runs `work` for each of this host's connectors' shares at the same time, returning the
  /// results in the order of `items`.
  package func concurrently<Item: Sendable, Value: Sendable>(
    _ items: [Item], _ work: @escaping @Sendable (Item) async -> Value
  ) async -> [Value] {
    await withTaskGroup(of: (Int, Value).self) { group in
      for (index, item) in items.enumerated() {
        group.addTask { (index, await work(item)) }
      }
      var results: [(Int, Value)] = []
      for await result in group { results.append(result) }
      return results.sorted { $0.0 < $1.0 }.map(\.1)
    }
  }
}
