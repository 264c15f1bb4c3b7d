/// A machine `infra` manages, as the inventory knows it.
public struct InventoryHost: Hashable, Sendable, Identifiable, CustomStringConvertible {
  /// The host's name, unique in the inventory: what plans, events and stats call it.
  public var name: String
  package var connection: Connection
  /// Declared groups, then the implicit `all`.
  public var groups: [String]
  /// Free-form data from the host's `data:`, which connectors may read.
  public var data: [String: JSONValue]
  package var escalation: Escalation
  package var ssh: SSHSettings
  /// Where each key of `data` came from: `host`, `group NAME` or `defaults`.
  package var dataSources: [String: String] = [:]

  public var id: String { name }
  public var description: String { name }

  package init(
    name: String, connection: Connection, groups: [String] = [Inventory.allGroup],
    data: [String: JSONValue] = [:], escalation: Escalation = .none,
    ssh: SSHSettings = SSHSettings(), dataSources: [String: String] = [:]
  ) {
    self.name = name
    self.connection = connection
    self.groups = groups
    self.data = data
    self.escalation = escalation
    self.ssh = ssh
    self.dataSources = dataSources
  }

  package func isMember(of group: String) -> Bool {
    groups.contains(group)
  }
}

/// The hosts of a repository and their groups, in the order infra.yaml lists them.
package struct Inventory: Sendable {
  /// The group every host belongs to.
  package static let allGroup = "all"

  package private(set) var hosts: [InventoryHost]
  private var index: [String: Int]

  package init(hosts: [InventoryHost]) {
    self.hosts = hosts
    index = Dictionary(
      hosts.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first })
  }

  package init(config: InfraConfig) {
    self.init(
      hosts: config.hosts.map { host in
        InventoryHost(
          name: host.name, connection: host.connection,
          groups: host.groups.map(\.value).filter { $0 != Inventory.allGroup } + [
            Inventory.allGroup
          ],
          data: host.data, escalation: host.escalation, ssh: host.ssh,
          dataSources: host.dataSources)
      })
  }

  /// Each host's position in infra.yaml, for ordering output.
  package var order: [String: Int] { index }

  package func host(named name: String) -> InventoryHost? {
    index[name].map { hosts[$0] }
  }

  /// Every group name that some host declares, plus `all`, sorted.
  package var groupNames: [String] {
    Array(Set(hosts.flatMap(\.groups))).sorted()
  }

  /// The hosts a selector list names, each once, in inventory order; `nil` selects every host.
  package func resolve(_ selectors: [HostSelector]?) -> [InventoryHost] {
    guard let selectors else { return hosts }
    return hosts.filter { host in
      selectors.contains { selector in
        switch selector {
        case .host(let name): host.name == name
        case .group(let group): host.isMember(of: group)
        }
      }
    }
  }
}
