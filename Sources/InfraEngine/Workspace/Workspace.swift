import InfraCore
import InfraTransport

/// A loaded repository: config, inventory, and every enabled connector with its resources.
public struct Workspace: Sendable {
  /// The repository it was loaded from.
  public var repository: Repository
  package var config: InfraConfig
  package var inventory: Inventory
  /// In `infra.yaml` order (prefix by prefix): the order ops run in on each host.
  package var connectors: [ConnectorInstance]
  /// Warnings found while loading (a workspace with errors is never returned).
  public var diagnostics: Diagnostics
  /// What git says changed since the base, when the repository is in git: deleted resource
  /// files are planned as deletions, and `--changed` plans only what it lists.
  package var changes: ChangeSet?

  /// Closes every connector (stopping external connector programs); the workspace is not
  /// used afterwards.
  public func close() async {
    for instance in connectors { await instance.connector.close() }
  }

  /// The number of resource instances (address × host) across all connectors.
  public var resourceCount: Int { connectors.reduce(0) { $0 + $1.resources.count } }
  /// The number of resource files discovered.
  public var fileCount: Int { connectors.reduce(0) { $0 + $1.fileCount } }
}

/// One connector enabled under a prefix, made and loaded.
package struct ConnectorInstance: Sendable, Identifiable {
  package var id: ConnectorID
  package var config: ConnectorConfig
  package var info: ConnectorTypeInfo
  package var options: [String: Located<JSONValue>]
  /// The hosts it serves, in inventory order.
  package var hosts: [InventoryHost]
  package var connector: any Connector
  /// The resource files it claimed.
  package var fileCount: Int
  package var resources: [Resource]

  package var prefix: String { id.prefix }
  package var name: String { id.name }
}

/// One connector's resources on one host.
public struct Share: Sendable {
  package var instance: ConnectorInstance
  package var resources: [Resource]
}

/// What some work does on one host: its connectors' shares, in config order.
public struct HostShares: Sendable {
  package var host: InventoryHost
  package var shares: [Share]

  package var resourceCount: Int { shares.reduce(0) { $0 + $1.resources.count } }
}

extension Workspace {
  /// The resources `keep` selects, host by host in inventory order, each host's connectors in
  /// config order; hosts with none are left out.
  package func shares(where keep: (ConnectorInstance, Resource) -> Bool) -> [HostShares] {
    var byHost: [String: [Share]] = [:]
    for instance in connectors {
      // A connector's resources all kept, on one host: shared, not copied (a repository of
      // many files on one host would otherwise hold its resources twice).
      if let host = instance.resources.first?.host,
        instance.resources.allSatisfy({ $0.host == host && keep(instance, $0) })
      {
        byHost[host, default: []].append(Share(instance: instance, resources: instance.resources))
        continue
      }
      let kept = Dictionary(grouping: instance.resources.filter { keep(instance, $0) }, by: \.host)
      for (host, resources) in kept {
        byHost[host, default: []].append(Share(instance: instance, resources: resources))
      }
    }
    return inventory.hosts.compactMap { host in
      byHost[host.name].map { HostShares(host: host, shares: $0) }
    }
  }

  /// The connector with `id`, if the workspace has it.
  package func connector(_ id: ConnectorID) -> ConnectorInstance? {
    connectors.first { $0.id == id }
  }
}
