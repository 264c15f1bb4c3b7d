/// A machine `infra` manages, as the inventory knows it.
public struct InventoryHost: Hashable, Sendable, Identifiable, CustomStringConvertible {
  public var name: String
  public var connection: Connection
  /// Declared groups, then the implicit `all`.
  public var groups: [String]
  public var data: [String: JSONValue]
  public var escalation: Escalation
  public var ssh: SSHSettings

  public var id: String { name }
  public var description: String { name }

  public init(
    name: String, connection: Connection, groups: [String] = [Inventory.allGroup],
    data: [String: JSONValue] = [:], escalation: Escalation = .none,
    ssh: SSHSettings = SSHSettings()
  ) {
    self.name = name
    self.connection = connection
    self.groups = groups
    self.data = data
    self.escalation = escalation
    self.ssh = ssh
  }

  public func isMember(of group: String) -> Bool {
    groups.contains(group)
  }
}

/// The hosts of a repository and their groups, in the order infra.yaml lists them.
public struct Inventory: Sendable {
  /// The group every host belongs to.
  public static let allGroup = "all"

  public private(set) var hosts: [InventoryHost]
  private var index: [String: Int]

  public init(hosts: [InventoryHost]) {
    self.hosts = hosts
    index = Dictionary(
      hosts.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first })
  }

  public init(config: InfraConfig) {
    self.init(
      hosts: config.hosts.map { host in
        InventoryHost(
          name: host.name, connection: host.connection,
          groups: host.groups.map(\.value).filter { $0 != Inventory.allGroup } + [
            Inventory.allGroup
          ],
          data: host.data, escalation: host.escalation, ssh: host.ssh)
      })
  }

  /// Each host's position in infra.yaml, for ordering output.
  public var order: [String: Int] { index }

  public func host(named name: String) -> InventoryHost? {
    index[name].map { hosts[$0] }
  }

  /// Every group name that some host declares, plus `all`, sorted.
  public var groupNames: [String] {
    Array(Set(hosts.flatMap(\.groups))).sorted()
  }

  public func members(of group: String) -> [InventoryHost] {
    hosts.filter { $0.isMember(of: group) }
  }

  /// The hosts a selector list names, each once, in inventory order; `nil` selects every host.
  public func resolve(_ selectors: [HostSelector]?) -> [InventoryHost] {
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
