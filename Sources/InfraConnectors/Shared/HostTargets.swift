import InfraCore
import InfraEngine

/// The host and `@group` folders at the top of a builtin connector's folder, and which host
/// gets which declaration: a host's own folder first, then its named groups, then `@all`. Two
/// named groups giving one host the same thing is an error, settled by the host's own file.
struct HostTargets {
  var prefix: String
  /// The connector's name (its folder below the prefix).
  var connector: String
  /// The hosts the connector serves, in inventory order.
  var hosts: [InventoryHost]
  var inventory: Inventory

  /// Why a file of a connector's folder declares nothing, when it is a note (a `.gitkeep`,
  /// a README) or an editor's file; `nil` for a file that is meant to declare something.
  static func unclaimedReason(_ name: String) -> String? {
    FilesLoader.unclaimedReason(name)
      ?? (PostgresLoader.notes.contains(name) || name.hasSuffix(".md")
        ? "it keeps a folder in git or explains it, and declares nothing" : nil)
  }

  /// One thing a folder declares, under a key that two folders declare the same thing by.
  struct Declared {
    var address: Address
    var desired: JSONValue
    var sources: [String]
    var sensitive = false
  }

  /// What a conflict between groups says: the thing, shown, and the host's own file that
  /// would settle it, for a key and a host.
  typealias Describe = (_ key: String, _ host: String) -> (shown: String, ownFile: String)

  /// Whether the folder `target` names a known host or group that this connector serves.
  func check(_ target: String, diagnostics: inout [Diagnostic]) -> Bool {
    let folder = "resources/\(prefix)/\(connector)/\(target)"
    let location = SourceLocation(file: folder)
    if target.hasPrefix("@") {
      let group = String(target.dropFirst())
      guard inventory.groupNames.contains(group) else {
        var hint = "groups: " + inventory.groupNames.map { "@\($0)" }.joined(separator: ", ")
        if let match = closestMatch(to: group, in: inventory.groupNames) {
          hint = "did you mean '@\(match)'? " + hint
        }
        diagnostics.append(
          .error("\(folder)/ names the unknown group '\(target)'", at: location, hint: hint))
        return false
      }
      if !hosts.contains(where: { $0.isMember(of: group) }) {
        diagnostics.append(
          .warning(
            "\(folder)/ applies to no host: no host of '\(target)' is served by connector '\(connector)'",
            at: location, hint: "add the group's hosts to the connector's `hosts:` in infra.yaml"))
      }
      return true
    }
    guard inventory.host(named: target) != nil else {
      let names = inventory.hosts.map(\.name)
      var hint = "hosts: \(names.joined(separator: ", ")); a group folder starts with '@'"
      if let match = closestMatch(to: target, in: names) {
        hint = "did you mean '\(match)'? " + hint
      }
      diagnostics.append(
        .error("\(folder)/ names the unknown host '\(target)'", at: location, hint: hint))
      return false
    }
    guard hosts.contains(where: { $0.name == target }) else {
      diagnostics.append(
        .error(
          "\(folder)/ is for host '\(target)', which connector '\(connector)' does not serve",
          at: location, hint: "add '\(target)' to the connector's `hosts:` in infra.yaml"))
      return false
    }
    return true
  }

  /// The served hosts a host or `@group` folder applies to.
  func hosts(of target: String) -> [InventoryHost] {
    target.hasPrefix("@")
      ? hosts.filter { $0.isMember(of: String(target.dropFirst())) }
      : hosts.filter { $0.name == target }
  }

  /// One resource per served host and key, from the declarations of each folder by key.
  func assign(
    _ declared: [String: [String: Declared]], describe: Describe, diagnostics: inout [Diagnostic]
  ) -> [Resource] {
    var resources: [Resource] = []
    // Exact for one host; a repository of many files on one host is the one that needs it.
    resources.reserveCapacity(declared.values.reduce(0) { $0 + $1.count })
    var reported: Set<String> = []
    for host in hosts {
      let namedGroups = host.groups.filter { $0 != Inventory.allGroup }
      let own = declared[host.name] ?? [:]
      let groups = namedGroups.compactMap { group in declared["@\(group)"].map { (group, $0) } }
      let all = declared["@\(Inventory.allGroup)"] ?? [:]
      var keys = Set(own.keys).union(all.keys)
      for (_, tree) in groups { keys.formUnion(tree.keys) }

      for key in keys.sorted() {
        let fromGroups = groups.compactMap { group, tree in tree[key].map { (group, $0) } }
        var chosen: Declared
        var overridden: [Declared] = []
        if let mine = own[key] {
          chosen = mine
          overridden = fromGroups.map(\.1) + (all[key].map { [$0] } ?? [])
        } else if fromGroups.count == 1 {
          chosen = fromGroups[0].1
          overridden = all[key].map { [$0] } ?? []
        } else if fromGroups.count > 1 {
          let files = fromGroups.map { $0.1.sources[0] }
          if reported.insert(files.joined(separator: "\u{0}")).inserted {
            let (shown, ownFile) = describe(key, host.name)
            diagnostics.append(
              .error(
                "host \(host.name) gets \(shown) from more than one group: \(files.joined(separator: ", "))",
                at: SourceLocation(file: files[0]),
                hint:
                  "add the host's own file \(ownFile) to settle it, or keep the file in one group"
              ))
          }
          continue
        } else if let fallback = all[key] {
          chosen = fallback
        } else {
          continue
        }
        resources.append(
          Resource(
            address: chosen.address, host: host.name, sources: chosen.sources,
            desired: chosen.desired, notes: overridden.map { "overrides \($0.sources[0])" },
            sensitive: chosen.sensitive))
      }
    }
    return resources
  }
}

extension HostTargets {
  /// The host and group folders of the connector made from `context`.
  init(_ context: ConnectorContext) {
    self.init(
      prefix: context.prefix, connector: context.name, hosts: context.hosts,
      inventory: context.inventory)
  }
}
