extension ConfigLoader {
  /// Checks what one entry cannot see alone: duplicate names, unknown hosts and groups.
  static func checkReferences(_ config: inout InfraConfig, diagnostics: inout Diagnostics) {
    let hostNames = Set(config.hosts.map(\.name))
    let groupNames = Set(config.hosts.flatMap { $0.groups.map(\.value) } + [Inventory.allGroup])
    for host in config.hosts where groupNames.contains(host.name) {
      diagnostics.error(
        "'\(host.name)' names both a host and a group", at: host.location,
        hint: "rename one of them so that `\(host.name)` and `@\(host.name)` cannot be confused")
    }
    for prefix in config.prefixes {
      var claimed: [String: SourceLocation] = [:]
      for connector in prefix.connectors {
        let name = connector.name
        if let first = claimed[name.value] {
          diagnostics.error(
            "two connectors of prefix '\(prefix.name)' claim the folder resources/\(prefix.name)/\(name.value)/",
            at: name.location,
            hint: "give one of them another `name:` (and `type: \(connector.type.value)`)",
            notes: [.init("the folder is first claimed here", at: first)])
        } else {
          claimed[name.value] = name.location
        }
        for selector in connector.hosts ?? [] {
          switch selector.value {
          case .host(let host) where !hostNames.contains(host):
            diagnostics.error(
              "connector '\(name.value)' names the unknown host '\(host)'", at: selector.location,
              hint: hint(for: host, among: hostNames, what: "hosts", prefix: ""))
          case .group(let group) where !groupNames.contains(group):
            diagnostics.error(
              "connector '\(name.value)' names the unknown group '@\(group)'",
              at: selector.location,
              hint: hint(for: group, among: groupNames, what: "groups", prefix: "@"))
          default:
            break
          }
        }
      }
    }
  }

  private static func hint(for name: String, among names: Set<String>, what: String, prefix: String)
    -> String
  {
    let known = names.sorted().map { "\(prefix)\($0)" }.joined(separator: ", ")
    let list = known.isEmpty ? "there are no \(what)" : "known \(what): \(known)"
    if let match = closestMatch(to: name, in: Array(names)) {
      return "did you mean '\(prefix)\(match)'? \(list)"
    }
    return list
  }
}
