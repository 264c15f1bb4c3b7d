import Foundation
import InfraCore
import InfraEngine
import InfraTransport

/// Starts external connector programs (`run:` in infra.yaml) and inventory programs for the
/// workspace loader.
struct ExternalConnectors: ExternalConnectorLauncher {
  func launch(_ context: ConnectorContext, program: ExternalProgram) async throws -> (
    ConnectorTypeInfo, any Connector
  ) {
    let id = ConnectorID(prefix: context.prefix, name: context.name)
    let connector = ExternalConnector(
      id: id, hosts: Set(context.hosts.map(\.name)), timeout: .seconds(program.timeout),
      cipher: context.cipher)
    let (channel, answer) = try await ProgramChannel.start(
      program, name: "connector '\(id)'", repository: context.repository,
      handler: { [weak connector] request in
        guard let connector else { throw ProgramError("the connector has ended") }
        return try await connector.answer(request)
      },
      notifications: { [weak connector] notification in connector?.notice(notification) },
      initialize: InitializeParams(
        name: context.name, prefix: context.prefix, options: context.options.mapValues(\.value),
        hosts: context.hosts, repository: context.repository),
      as: ConnectorGreeting.self)
    connector.attach(channel)
    let info = ConnectorTypeInfo(
      type: "run: " + program.arguments.joined(separator: " "),
      summary: answer.summary ?? "an external connector", layout: answer.layout ?? "",
      options: (answer.options ?? []).map(\.spec), hostData: (answer.hostData ?? []).map(\.spec))
    return (info, connector)
  }

  /// Asks the program for its hosts, one per line as `name: {settings}`, so that a problem
  /// names its line.
  func inventory(_ program: ExternalProgram, repository: Repository, names: [String]?)
    async throws -> String
  {
    let (channel, _) = try await ProgramChannel.start(
      program, name: "inventory program '\(program.arguments.joined(separator: " "))'",
      repository: repository, handler: ProgramChannel.refusing("an inventory program"),
      initialize: InitializeParams(name: "inventory", repository: repository),
      offering: "inventory", as: BasicGreeting.self)
    do {
      let listed = try await channel.call(
        "inventory/list", InventoryListParams(names: names), as: InventoryListAnswer.self,
        timeout: .seconds(program.timeout))
      await channel.close(grace: .seconds(2))
      let lines = listed.hosts.map {
        JSONValue.string($0.name).serialized + ": " + JSONValue.object($0.settings).serialized
      }
      return lines.isEmpty ? "{}\n" : lines.joined(separator: "\n") + "\n"
    } catch {
      await channel.close(grace: .seconds(2))
      throw error
    }
  }
}
