import InfraCore
import InfraTransport
import Logging
import Synchronization

/// Connector calls and host work with their durations, at debug level: what `infra -v` shows.
let engineLogger = Logger(label: "infra.engine")

/// How one host's share of some work ended.
package enum HostOutcome<Value: Sendable>: Sendable {
  case done(Value)
  /// The host could not be connected to, for this reason (it names no host).
  case unreachable(String)
  /// The run was stopped before the host's work began, or while it went on (its results,
  /// partial, are dropped).
  case stopped
}

/// The hosts of one run, and the one owner of work on them: every command that touches hosts
/// goes through it.
///
/// It connects each host once, on first use, and disconnects them all in `close`; works on at
/// most `parallelism` hosts at once; carries the run's stop signal (stoppable work is cancelled
/// at once when the run stops, and no host starts after it); turns a failed connection into
/// one `host_unreachable` event and an `unreachable` outcome with its reason; counts each
/// caller's round trips; and scopes what programs log to the run, the host and the connector.
package final class Fleet: Sendable {
  package let stop: StopSignal
  package let roundTrips = RoundTripCounter()
  let parallelism: Int
  let events: RunEventHandler
  private let connections: HostConnections
  /// The hosts whose connection (or failure to connect) has been reported.
  private let reported = Mutex<Set<String>>([])

  package init(
    transports: any TransportProvider, parallelism: Int, stop: StopSignal = StopSignal(),
    events: @escaping RunEventHandler
  ) {
    connections = HostConnections(provider: transports) { host, facts in
      events(.hostFacts(host: host, facts: facts))
    }
    self.parallelism = max(1, parallelism)
    self.stop = stop
    self.events = events
  }

  /// Works on each of `hosts`, at most `parallelism` at once, each connected first; returns
  /// the outcomes in the order of `hosts`, and hands each to `finished` as it is known.
  ///
  /// Stoppable work is cancelled when the run stops, and ends `stopped`. Work that must not be
  /// cut short (applying ops) is never cancelled: it checks the stop signal between steps.
  package func each<Value: Sendable>(
    _ hosts: [InventoryHost], stoppable: Bool = true,
    finished: (@Sendable (InventoryHost, HostOutcome<Value>) -> Void)? = nil,
    work: @escaping @Sendable (HostWork) async -> Value
  ) async -> [HostOutcome<Value>] {
    await withTaskGroup(of: (Int, HostOutcome<Value>)?.self) { group in
      var outcomes = [HostOutcome<Value>?](repeating: nil, count: hosts.count)
      var next = 0
      var running = 0
      func startNext() {
        guard next < hosts.count, !(stoppable && stop.isStopped) else { return }
        let index = next
        next += 1
        running += 1
        group.addTask { (index, await self.work(on: hosts[index], stoppable: stoppable, work)) }
      }
      // The stop signal cancels what is running; the watcher itself ends with the work.
      if stoppable {
        group.addTask {
          await self.stop.wait()
          return nil
        }
      }
      for _ in 0..<parallelism { startNext() }
      while running > 0, let item = await group.next() {
        guard let (index, outcome) = item else {
          group.cancelAll()
          continue
        }
        running -= 1
        outcomes[index] = outcome
        finished?(hosts[index], outcome)
        startNext()
      }
      group.cancelAll()
      return hosts.indices.map { index in
        if let outcome = outcomes[index] { return outcome }
        finished?(hosts[index], .stopped)
        return .stopped
      }
    }
  }

  /// Disconnects every host that was connected. Connections that may stay warm for the next
  /// run (`ssh_persist`) do, unless the run was stopped: an interrupted or timed-out run leaves
  /// nothing behind.
  package func close() async {
    await connections.closeAll(keepingWarm: !stop.isStopped)
  }

  private func work<Value: Sendable>(
    on host: InventoryHost, stoppable: Bool, _ work: @Sendable (HostWork) async -> Value
  ) async -> HostOutcome<Value> {
    if stoppable && stop.isStopped { return .stopped }
    // A transport program learns where its host's log lines go when the host connects.
    return await ProgramLog.$destination.withValue(destination(host: host.name)) {
      let connection: any Transport
      let gatherer: FactGatherer
      do {
        (connection, gatherer) = try await connections.transport(for: host)
        if report(host.name) { events(.hostConnect(host: host.name)) }
      } catch {
        // A connection the stop cut short is no news about the host.
        if stoppable && (Task.isCancelled || stop.isStopped) { return .stopped }
        let reason = (error as? TransportError)?.reason ?? "\(error)"
        if report(host.name) { events(.hostUnreachable(host: host.name, reason: reason)) }
        return .unreachable(reason)
      }
      let facts = HostFactsSource { [roundTrips] in
        try await gatherer.facts(through: roundTrips.counting(connection, for: .facts))
      }
      let value = await work(
        HostWork(host: host, connection: connection, facts: facts, fleet: self))
      return stoppable && Task.isCancelled ? .stopped : .done(value)
    }
  }

  /// Whether this is the first report about `host`'s connection.
  private func report(_ host: String) -> Bool {
    reported.withLock { $0.insert(host).inserted }
  }

  /// Where lines logged about `host` go: `connector_log` events of the run, naming the
  /// connector when there is one.
  func destination(host: String, connector: ConnectorID? = nil) -> ProgramLog.Destination {
    let events = events
    return ProgramLog.Destination { line in
      let address = line.address.flatMap { path in connector.flatMap { Address(path, of: $0) } }
      events(
        .connectorLog(
          host: host, connector: line.transport == nil ? connector : nil,
          transport: line.transport, level: line.level, message: line.message,
          address: address))
    }
  }
}
