import InfraCore
import InfraTransport

/// A loaded repository: config, inventory, and every enabled connector with its resources.
public struct Workspace: Sendable {
  public var repository: Repository
  public var config: InfraConfig
  public var inventory: Inventory
  /// In `infra.yaml` order (prefix by prefix): the order ops run in on each host.
  public var connectors: [ConnectorInstance]
  /// Warnings found while loading (a workspace with errors is never returned).
  public var diagnostics: Diagnostics
  /// What git says changed since the base, when the repository is in git: deleted resource
  /// files are planned as deletions, and `--changed` plans only what it lists.
  public var changes: ChangeSet?

  /// Closes every connector (stopping external connector programs); the workspace is not
  /// used afterwards.
  public func close() async {
    for instance in connectors { await instance.connector.close() }
  }

  /// The number of resource instances (address × host) across all connectors.
  public var resourceCount: Int { connectors.reduce(0) { $0 + $1.resources.count } }
  /// The number of resource files discovered.
  public var fileCount: Int { connectors.reduce(0) { $0 + $1.files.count } }
}

/// One connector enabled under a prefix, made and loaded.
public struct ConnectorInstance: Sendable, Identifiable {
  public var prefix: String
  public var config: ConnectorConfig
  public var info: ConnectorTypeInfo
  public var options: [String: Located<JSONValue>]
  /// The hosts it serves, in inventory order.
  public var hosts: [InventoryHost]
  public var connector: any Connector
  public var files: [ResourceFile]
  public var resources: [Resource]

  public var name: String { config.name.value }
  /// `prefix/name`, unique in a repository.
  public var id: String { "\(prefix)/\(name)" }

  /// The host's connection as this connector must use it: with the connector's own `sudo:`
  /// when it sets one, otherwise the host's; its calls counted when a counter is given.
  public func transport(
    _ connection: any Transport, for host: InventoryHost, counter: RoundTripCounter? = nil
  ) -> any Transport {
    let transport = connection.escalated(config.escalation ?? host.escalation)
    return counter?.counting(transport, host: host.name, connectorID: id) ?? transport
  }
}
