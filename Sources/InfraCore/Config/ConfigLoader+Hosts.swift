import Foundation
import Yams

extension ConfigLoader {
  /// The hosts an inventory program yielded, as YAML or JSON text (`name: {connect: ...}`),
  /// read exactly as `hosts:` of infra.yaml is; `path` names the program in diagnostics.
  package static func readHosts(text: String, path: String, transports: Set<String> = []) -> (
    [HostConfig], Diagnostics
  ) {
    switch YAMLFile.parse(text, path: path) {
    case .failure(let diagnostic): return ([], Diagnostics([diagnostic]))
    case .success(let file):
      var reader = YAMLReader(file: file)
      guard let root = file.root else { return ([], reader.diagnostics) }
      let hosts = readHosts(root, transports: transports, reader: &reader)
      return (hosts, reader.diagnostics)
    }
  }

  /// `config` with the hosts of its inventory programs added, and every reference checked
  /// (unless the hosts are only some of the inventory's, asked for by name).
  package static func adding(
    hosts: [HostConfig], to config: InfraConfig, checkingReferences: Bool = true
  ) -> (InfraConfig, Diagnostics) {
    var config = config
    var diagnostics = Diagnostics()
    let known = Set(config.hosts.map(\.name))
    var added: Set<String> = []
    for host in hosts {
      if known.contains(host.name) || !added.insert(host.name).inserted {
        diagnostics.error(
          "the inventory yields the host '\(host.name)' more than once", at: host.location,
          hint: "each host name must be unique across hosts: and every inventory program")
        continue
      }
      config.hosts.append(layered(host, under: config))
    }
    if checkingReferences {
      checkReferences(&config, diagnostics: &diagnostics)
      checkGroups(config, diagnostics: &diagnostics)
    }
    return (config, diagnostics)
  }

  static func readHosts(
    _ node: Node, transports: Set<String>, reader: inout YAMLReader
  ) -> [HostConfig] {
    guard
      let hostsMap = reader.mapping(
        node, for: "'hosts' (host names mapped to their settings)", keys: [])
    else { return [] }
    var hosts: [HostConfig] = []
    for entry in hostsMap.entries {
      let location = reader.location(of: entry.key)
      guard checkName(entry.name, kind: "host", at: entry.key, reader: &reader) else { continue }
      if let host = readHost(
        entry.name, entry.value, location: location, transports: transports, reader: &reader)
      {
        hosts.append(host)
      }
    }
    return hosts
  }

  static func readHost(
    _ name: String, _ node: Node, location: SourceLocation, transports: Set<String>,
    reader: inout YAMLReader
  ) -> HostConfig? {
    let what = "host '\(name.clipped())'"
    guard let host = reader.mapping(node, for: what, keys: hostKeys) else { return nil }
    host.reportUnknownKeys(into: &reader)

    var connection = Connection.local
    if let connect = host["connect"] {
      if let text = reader.string(connect, for: "'connect'") {
        switch parseConnection(text, transports: transports) {
        case .success(let parsed): connection = parsed
        case .failure(let problem):
          reader.error(
            "\(what) has an invalid 'connect' value '\(text)': \(problem.reason)", at: connect,
            hint: "use `connect: local` or `connect: ssh://user@host:port`")
        }
      }
    } else {
      reader.error(
        "\(what) has no 'connect'", at: node,
        hint: "add `connect: local` or `connect: ssh://user@host:port`")
    }

    var groups: [Located<String>] = []
    if let node = host["groups"], let list = reader.stringList(node, for: "'groups'") {
      for group in list {
        var name = group.value
        if name.hasPrefix("@") {
          name.removeFirst()
        }
        if checkName(name, kind: "group", at: node, location: group.location, reader: &reader) {
          groups.append(Located(name, at: group.location))
        }
      }
    }

    var data: [String: JSONValue] = [:]
    var ssh = SSHSettings()
    if let node = host["data"] {
      if case .mapping = node {
        data = reader.json(node).objectValue ?? [:]
        ssh = readSSHSettings(node, of: what, reader: &reader)
      } else {
        reader.error(
          "expected a mapping for 'data' of \(what), found \(YAMLReader.kind(of: node).rawValue)",
          at: node)
      }
    }
    return HostConfig(
      name: name, location: location, connection: connection, groups: groups, data: data,
      escalation: readEscalation(host, reader: &reader) ?? .none, ssh: ssh)
  }

  /// `sudo: true` and `sudo_user: name` (which implies sudo); `nil` when neither is written.
  static func readEscalation(_ map: MappingReader, reader: inout YAMLReader) -> Escalation? {
    let sudo = map["sudo"].flatMap { reader.bool($0, for: "'sudo'") }
    let user = map["sudo_user"].flatMap {
      reader.string($0, for: "'sudo_user'", acceptingScalars: true)
    }
    switch (sudo, user) {
    case (nil, nil): return nil
    case (false?, let user?):
      if let node = map.keyNode("sudo_user") {
        reader.error(
          "'sudo_user: \(user)' has no effect with 'sudo: false'", at: node,
          hint: "remove one of them")
      }
      return Escalation.none
    case (false?, nil): return Escalation.none
    default: return .sudo(user: user)
    }
  }
}
