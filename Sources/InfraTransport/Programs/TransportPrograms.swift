import Foundation
import InfraCore
import Synchronization

/// The transports of a repository: the builtin ones, and the programs under `transports:` in
/// infra.yaml for hosts whose `connect:` names one (pyinfra's executing connectors).
package struct RepositoryTransports: TransportProvider {
  package let config: InfraConfig
  package let repository: Repository
  private let programs: TransportPrograms

  package init(config: InfraConfig, repository: Repository) {
    self.config = config
    self.repository = repository
    self.programs = TransportPrograms(config: config, repository: repository)
  }

  package func makeTransport(for host: InventoryHost) throws -> any Transport {
    guard case .program(let name, let address) = host.connection else {
      return try StandardTransports().makeTransport(for: host)
    }
    guard let program = config.transports[name] else {
      throw TransportError.unsupported(
        host: host.name, reason: "infra.yaml declares no transport '\(name)'")
    }
    return ExternalTransport(
      host: host, name: name, address: address, timeout: .seconds(program.timeout),
      programs: programs)
  }
}

/// The running transport programs of one provider: one process per program, shared by every
/// host that names it, started when the first of them connects and shut down when the last
/// disconnects. What a program logs about a host goes where that host's work logs to.
actor TransportPrograms {
  let config: InfraConfig
  let repository: Repository
  private var running: [String: (start: Task<ProgramChannel, any Error>, hosts: Int)] = [:]
  /// Where each connected host's log lines go.
  private let logs = LogRoutes()

  init(config: InfraConfig, repository: Repository) {
    self.config = config
    self.repository = repository
  }

  /// The program's channel, for one more host, whose log lines go to `log`.
  func acquire(_ name: String, for host: String, log: ProgramLog.Destination?) async throws
    -> ProgramChannel
  {
    if running[name] == nil {
      guard let program = config.transports[name] else {
        throw ProgramError("infra.yaml declares no transport '\(name)'")
      }
      // It learns every host that may connect through it, as a connector learns its hosts.
      let hosts = Inventory(config: config).hosts.filter {
        if case .program(name, _) = $0.connection { true } else { false }
      }
      let (repository, logs) = (repository, logs)
      let start = Task {
        try await ProgramChannel.start(
          program, name: "transport '\(name)'", repository: repository,
          handler: ProgramChannel.refusing("a transport program"),
          notifications: Self.notifications(name, logs: logs),
          initialize: InitializeParams(name: name, hosts: hosts, repository: repository),
          offering: "execution", as: BasicGreeting.self
        ).0
      }
      running[name] = (start, 0)
    }
    running[name]?.hosts += 1
    logs.set(log, program: name, host: host)
    guard let start = running[name]?.start else {
      throw ProgramError("transport '\(name)' ended while it started")
    }
    do {
      // A run stopped while the program starts (a hung initialize) stops waiting for it, and
      // the start with it: every host connecting through it is being stopped too.
      return try await withTaskCancellationHandler {
        try await start.value
      } onCancel: {
        start.cancel()
      }
    } catch {
      await release(name, for: host)
      throw error
    }
  }

  /// One host fewer: the last one shuts the program down.
  func release(_ name: String, for host: String) async {
    logs.set(nil, program: name, host: host)
    guard let entry = running[name] else { return }
    guard entry.hosts <= 1 else {
      running[name]?.hosts -= 1
      return
    }
    running[name] = nil
    if let channel = try? await entry.start.value {
      await channel.close(grace: .seconds(5))
    }
  }

  /// What a transport program logs goes to the host the line names (or the only host
  /// connected through it).
  private static func notifications(_ name: String, logs: LogRoutes)
    -> ProgramChannel.Notifications
  {
    { notification in
      guard notification.method == "log",
        let params = try? notification.params(LogParams.self)
      else { return }
      logs.destination(program: name, host: params.host)?.receive(params.line(transport: name))
    }
  }

}

/// Where the log lines of each transport program's hosts go, by program and host.
private final class LogRoutes: Sendable {
  private let routes = Mutex<[String: [String: ProgramLog.Destination]]>([:])

  func set(_ destination: ProgramLog.Destination?, program: String, host: String) {
    routes.withLock { $0[program, default: [:]][host] = destination }
  }

  /// The destination of `host`, or of the only host connected when the line names none.
  func destination(program: String, host: String?) -> ProgramLog.Destination? {
    routes.withLock { routes in
      let hosts = routes[program] ?? [:]
      if let host { return hosts[host] }
      return hosts.count == 1 ? hosts.first?.value : nil
    }
  }
}
