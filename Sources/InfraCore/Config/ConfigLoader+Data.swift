import Yams

/// `defaults: {data:}` and `groups: {NAME: {data:}}`: data every host, or every host of a
/// group, has unless it says otherwise (Ansible's group_vars). A host's own data wins over its
/// groups' (a group it lists later over one it lists earlier), which win over the defaults;
/// each key is replaced whole, not merged.
extension ConfigLoader {
  static func readDefaults(_ node: Node, reader: inout YAMLReader) -> DataLayer {
    readLayer(node, label: "defaults", what: "'defaults'", reader: &reader)
      ?? DataLayer(label: "defaults")
  }

  static func readGroups(_ node: Node, reader: inout YAMLReader) -> [String: DataLayer] {
    guard
      let map = reader.mapping(node, for: "'groups' (group names mapped to their data)", keys: [])
    else { return [:] }
    var groups: [String: DataLayer] = [:]
    for entry in map.entries {
      guard checkName(entry.name, kind: "group", at: entry.key, reader: &reader) else { continue }
      if entry.name == Inventory.allGroup {
        reader.error(
          "'\(Inventory.allGroup)' is every host, not a group of some", at: entry.key,
          hint: "write what every host has under `defaults: { data: … }`")
        continue
      }
      if var layer = readLayer(
        entry.value, label: "group \(entry.name)", what: "group '\(entry.name)'", reader: &reader)
      {
        layer.location = reader.location(of: entry.key)
        groups[entry.name] = layer
      }
    }
    return groups
  }

  private static func readLayer(
    _ node: Node, label: String, what: String, reader: inout YAMLReader
  ) -> DataLayer? {
    guard let map = reader.mapping(node, for: what, keys: ["data"]) else { return nil }
    map.reportUnknownKeys(into: &reader)
    var layer = DataLayer(label: label)
    layer.location = reader.location(of: node)
    if let data = map["data"] {
      if case .mapping = data {
        layer.data = reader.json(data).objectValue ?? [:]
        layer.ssh = readSSHSettings(data, of: what, reader: &reader)
      } else {
        reader.error(
          "expected a mapping for 'data' of \(what), found \(YAMLReader.kind(of: data).rawValue)",
          at: data)
      }
    }
    return layer
  }

  /// `host` with the defaults' and its groups' data laid under its own, and where each key
  /// came from; its SSH settings likewise.
  static func layered(_ host: HostConfig, under config: InfraConfig) -> HostConfig {
    let layers = [config.defaults] + host.groups.compactMap { config.groups[$0.value] }
    var result = host
    var sources: [String: String] = [:]
    var data: [String: JSONValue] = [:]
    for layer in layers {
      for (key, value) in layer.data {
        data[key] = value
        sources[key] = layer.label
      }
    }
    for (key, value) in host.data {
      data[key] = value
      sources[key] = "host"
    }
    result.data = data
    result.dataSources = sources
    if layers.contains(where: { !$0.ssh.written.isEmpty }) {
      result.ssh = layers.reduce(SSHSettings()) { $0.overlaid(by: $1.ssh) }.overlaid(by: host.ssh)
    }
    return result
  }

  /// A group with data that no host is in is most likely a typo.
  static func checkGroups(_ config: InfraConfig, diagnostics: inout Diagnostics) {
    let used = Set(config.hosts.flatMap { $0.groups.map(\.value) })
    for (name, layer) in config.groups.sorted(by: { $0.key < $1.key }) where !used.contains(name) {
      var hint = "groups of hosts: " + used.sorted().joined(separator: ", ")
      if let match = closestMatch(to: name, in: Array(used)) {
        hint = "did you mean '\(match)'? " + hint
      }
      diagnostics.warning(
        "group '\(name)' has data, but no host is in it", at: layer.location, hint: hint)
    }
  }
}
