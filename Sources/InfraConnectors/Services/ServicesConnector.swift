import Foundation
import InfraCore
import InfraEngine
import InfraTransport

/// The builtin `services` connector: whether units are enabled and running, and reloaded or
/// restarted when files they name change, through `systemctl` (or Debian's init scripts where
/// systemd does not run). One command reads every unit of a host; one applies its ops.
package struct ServicesConnectorType: ConnectorType {
  package init() {}

  package var info: ConnectorTypeInfo {
    ConnectorTypeInfo(
      type: "services",
      summary:
        "Services: enabled or not, running or stopped, reloaded or restarted when the files they name change; systemd, or init scripts without it.",
      layout: ServicesConnector.layout)
  }

  package func make(_ context: ConnectorContext) throws -> any Connector {
    ServicesConnector(
      targets: HostTargets(context))
  }
}

struct ServicesConnector: Connector {
  static let layout = "<host or @group>/UNIT.yaml (nginx.yaml is nginx.service)"

  let targets: HostTargets

  func load(_ request: LoadRequest) async -> LoadResponse {
    NamedFilesLoader<ServiceFile>(targets: targets, layout: Self.layout).load(request)
  }

  func read(_ request: ReadRequest) async throws -> ReadResponse {
    let units = try request.resources.map { try ServiceFile(json: $0.desired) }
    let live = try await ServiceReader.read(units, through: request.transport)
    var states: [Address: LiveState] = [:]
    for (resource, service) in zip(request.resources, live) {
      let json = (try? JSONValue(encoding: service)) ?? .null
      states[resource.address] = LiveState(
        state: json, fingerprint: String(SHA256Hex.of(Data(json.serialized.utf8)).prefix(16)))
    }
    return ReadResponse(states: states)
  }

  func plan(_ request: PlanRequest) async throws -> PlanResponse {
    var planner = ServicePlanner(host: request.host.name)
    if case .ssh = request.host.connection { planner.overSSH = true }
    return planner.plan(request.items)
  }

  func apply(_ request: ApplyRequest) async -> ApplyResponse {
    await CommandSteps.apply(
      request,
      request.ops.map { planned in
        guard let op = try? ServiceOp(json: planned.payload) else {
          return (planned, .failure(.init(reason: "its payload could not be read")))
        }
        return (planned, .success(Self.command(op)))
      })
  }

  /// The shell command that carries out `op`'s actions in order.
  static func command(_ op: ServiceOp) -> String {
    op.actions.compactMap { action -> String? in
      switch (op.manager, action) {
      case (.systemd, "daemon-reload"): return "systemctl daemon-reload"
      case (.systemd, _): return ShellCommand("systemctl", action, "--", op.unit).string
      case (.initScripts, "daemon-reload"): return nil
      case (.initScripts, "enable"):
        return ShellCommand("update-rc.d", op.script, "defaults").string + " >/dev/null && "
          + ShellCommand("update-rc.d", op.script, "enable").string
      case (.initScripts, "disable"):
        return ShellCommand("update-rc.d", op.script, "disable").string
      case (.initScripts, _): return ShellCommand("service", op.script, action).string
      }
    }.joined(separator: " && ")
  }

  func list(_ request: ListRequest) async throws -> ListResponse {
    try await ServicesImporter(targets: targets, host: request.host.name)
      .list(request.paths, through: request.transport)
  }
}
