import Foundation
import Yams

/// Loads and checks `infra.yaml`, reporting every problem with its `file:line:column`.
package enum ConfigLoader {
  static let topLevelKeys = [
    "version", "hosts", "inventory", "transports", "prefixes", "runs", "locks",
  ]
  static let hostKeys = ["connect", "groups", "data", "sudo", "sudo_user"]
  static let prefixKeys = ["connectors"]
  static let connectorKeys = [
    "name", "type", "hosts", "options", "sudo", "sudo_user", "run", "env", "timeout",
  ]

  /// Reads `infra.yaml` at `url`. The model is `nil` only when the file cannot be read or parsed.
  package static func load(from url: URL, path: String = "infra.yaml") -> (
    InfraConfig?, Diagnostics
  ) {
    switch YAMLFile.load(from: url, path: path) {
    case .success(let file): return load(file)
    case .failure(let diagnostic): return (nil, Diagnostics([diagnostic]))
    }
  }

  /// Parses config text; used by tests and by `load(from:)`.
  package static func parse(_ text: String, path: String = "infra.yaml") -> (
    InfraConfig?, Diagnostics
  ) {
    switch YAMLFile.parse(text, path: path) {
    case .success(let file): return load(file)
    case .failure(let diagnostic): return (nil, Diagnostics([diagnostic]))
    }
  }

  static func load(_ file: YAMLFile) -> (InfraConfig?, Diagnostics) {
    var reader = YAMLReader(file: file)
    guard let root = file.root else {
      reader.diagnostics.error(
        "infra.yaml is empty", at: SourceLocation(file: file.path, line: 1, column: 1),
        hint:
          "start it with `version: \(InfraConfig.supportedVersion)`, then `hosts:` and `prefixes:`")
      return (nil, reader.diagnostics)
    }
    guard let top = reader.mapping(root, for: "the top level of infra.yaml", keys: topLevelKeys)
    else {
      return (nil, reader.diagnostics)
    }
    top.reportUnknownKeys(into: &reader)

    let version = readVersion(top, root: root, reader: &reader)
    let inventory = top["inventory"].map { readInventory($0, reader: &reader) } ?? []
    var transports: [String: ExternalProgram] = [:]
    if let node = top["transports"],
      let map = reader.mapping(node, for: "'transports' (names mapped to programs)", keys: [])
    {
      for entry in map.entries {
        guard checkName(entry.name, kind: "transport", at: entry.key, reader: &reader),
          let program = reader.mapping(
            entry.value, for: "transport '\(entry.name)'", keys: ["run", "env", "timeout"])
        else { continue }
        program.reportUnknownKeys(into: &reader)
        if entry.name == "ssh" || entry.name == "local" {
          reader.error(
            "'\(entry.name)' is a builtin transport", at: entry.key, hint: "name yours otherwise")
        } else if program["run"] == nil {
          reader.error(
            "transport '\(entry.name)' has no 'run'", at: entry.value,
            hint: "e.g. `run: [python3, connectors/\(entry.name)_transport.py]`")
        } else if let parsed = readProgram(
          program, owner: "transport '\(entry.name)'", name: entry.name, reader: &reader)
        {
          transports[entry.name] = parsed
        }
      }
    }
    let hosts =
      top["hosts"].map { readHosts($0, transports: Set(transports.keys), reader: &reader) } ?? []
    var prefixes: [PrefixConfig] = []
    if let node = top["prefixes"] {
      prefixes = readPrefixes(node, reader: &reader)
    } else {
      reader.error(
        "infra.yaml has no 'prefixes'", at: root,
        hint: "add `prefixes:` with at least one prefix and its `connectors:`")
    }

    var keepRuns = InfraConfig.defaultKeepRuns
    if let node = top["runs"], let runs = reader.mapping(node, for: "'runs'", keys: ["keep"]) {
      runs.reportUnknownKeys(into: &reader)
      if let keepNode = runs["keep"], let keep = reader.int(keepNode, for: "'keep'") {
        if keep >= 1 {
          keepRuns = keep
        } else {
          reader.error("'keep' must be at least 1", at: keepNode, hint: "the run itself is kept")
        }
      }
    }
    var lockFolder = InfraConfig.defaultLockFolder
    if let node = top["locks"], let locks = reader.mapping(node, for: "'locks'", keys: ["folder"]) {
      locks.reportUnknownKeys(into: &reader)
      if let folderNode = locks["folder"], let folder = reader.string(folderNode, for: "'folder'") {
        if folder.hasPrefix("/") && !folder.contains("\n") {
          lockFolder = folder
        } else {
          reader.error(
            "'folder' must be an absolute path, not '\(folder)'", at: folderNode,
            hint: "the folder on every host that holds its apply lock, e.g. /var/lock/infra")
        }
      }
    }
    var config = InfraConfig(
      path: file.path, version: version, hosts: hosts, prefixes: prefixes, keepRuns: keepRuns,
      lockFolder: lockFolder)
    config.inventory = inventory
    config.transports = transports
    // With inventory programs, hosts are known only once they have run (`adding(hosts:)`).
    if inventory.isEmpty {
      checkReferences(&config, diagnostics: &reader.diagnostics)
    }
    return (config, reader.diagnostics)
  }

  /// `inventory:`: a list of programs (`run:`, `env:`, `timeout:`) that yield hosts.
  private static func readInventory(_ node: Node, reader: inout YAMLReader) -> [ExternalProgram] {
    guard case .sequence(let items) = node else {
      reader.error(
        "expected a list for 'inventory', found \(YAMLReader.kind(of: node).rawValue)", at: node,
        hint: "write each program as a list item: `- run: [python3, connectors/hosts.py]`")
      return []
    }
    var programs: [ExternalProgram] = []
    for item in items {
      guard
        let entry = reader.mapping(
          item, for: "an inventory program", keys: ["run", "env", "timeout"])
      else { continue }
      entry.reportUnknownKeys(into: &reader)
      guard entry["run"] != nil else {
        reader.error(
          "an inventory program has no 'run'", at: item,
          hint: "e.g. `- run: [python3, connectors/hosts.py]`")
        continue
      }
      if let program = readProgram(
        entry, owner: "an inventory program", name: "hosts", reader: &reader)
      {
        programs.append(program)
      }
    }
    return programs
  }

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
      config.hosts.append(host)
    }
    if checkingReferences { checkReferences(&config, diagnostics: &diagnostics) }
    return (config, diagnostics)
  }

  private static func readVersion(_ top: MappingReader, root: Node, reader: inout YAMLReader)
    -> Int
  {
    let supported = InfraConfig.supportedVersion
    guard let node = top["version"] else {
      reader.error(
        "infra.yaml has no 'version'", at: root,
        hint: "add `version: \(supported)` as the first line")
      return supported
    }
    guard let version = reader.int(node, for: "'version'") else { return supported }
    if version > supported {
      reader.error(
        "infra.yaml is version \(version), but this build of infra reads version \(supported) at most",
        at: node, hint: "upgrade infra, or write the file for version \(supported)")
    } else if version < 1 {
      reader.error(
        "there is no infra.yaml version \(version)", at: node,
        hint: "the current version is \(supported)")
    }
    return version
  }

  // MARK: hosts

  private static func readHosts(
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

  private static func readHost(
    _ name: String, _ node: Node, location: SourceLocation, transports: Set<String>,
    reader: inout YAMLReader
  ) -> HostConfig? {
    let what = "host '\(name)'"
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

  // MARK: prefixes and connectors

  private static func readPrefixes(_ node: Node, reader: inout YAMLReader) -> [PrefixConfig] {
    guard
      let prefixesMap = reader.mapping(
        node, for: "'prefixes' (prefix names mapped to their connectors)", keys: [])
    else { return [] }
    var prefixes: [PrefixConfig] = []
    for entry in prefixesMap.entries {
      guard checkName(entry.name, kind: "prefix", at: entry.key, reader: &reader) else { continue }
      let what = "prefix '\(entry.name)'"
      guard let prefix = reader.mapping(entry.value, for: what, keys: prefixKeys) else { continue }
      prefix.reportUnknownKeys(into: &reader)
      var connectors: [ConnectorConfig] = []
      if let list = prefix["connectors"] {
        if case .sequence(let items) = list {
          for item in items {
            if let connector = readConnector(item, prefix: entry.name, reader: &reader) {
              connectors.append(connector)
            }
          }
        } else {
          reader.error(
            "expected a list for 'connectors' of \(what), found \(YAMLReader.kind(of: list).rawValue)",
            at: list, hint: "write each connector as a list item: `- name: files`")
        }
      } else {
        reader.error(
          "\(what) has no 'connectors'", at: entry.value,
          hint: "add `connectors:` with a list item such as `- name: files`")
      }
      prefixes.append(
        PrefixConfig(
          name: entry.name, location: reader.location(of: entry.key), connectors: connectors))
    }
    return prefixes
  }

  private static func readConnector(_ node: Node, prefix: String, reader: inout YAMLReader)
    -> ConnectorConfig?
  {
    guard
      let entry = reader.mapping(
        node, for: "a connector of prefix '\(prefix)'", keys: connectorKeys)
    else { return nil }
    entry.reportUnknownKeys(into: &reader)
    guard let nameNode = entry["name"] else {
      reader.error(
        "a connector of prefix '\(prefix)' has no 'name'", at: node,
        hint: "add `name:`, the connector's folder under resources/\(prefix)/ (e.g. `name: files`)")
      return nil
    }
    guard let nameText = reader.string(nameNode, for: "'name'", acceptingScalars: true),
      checkName(nameText, kind: "connector", at: nameNode, reader: &reader)
    else { return nil }
    let name = Located(nameText, at: reader.location(of: nameNode))
    var type = name
    if let typeNode = entry["type"], let text = reader.string(typeNode, for: "'type'") {
      type = Located(text, at: reader.location(of: typeNode))
    }
    let program = readProgram(
      entry, owner: "connector '\(nameText)'", name: nameText, reader: &reader)
    var hosts: [Located<HostSelector>]?
    if let hostsNode = entry["hosts"],
      let list = reader.stringList(hostsNode, for: "'hosts'", items: "host names and @groups")
    {
      hosts = list.map { Located(HostSelector(parsing: $0.value), at: $0.location) }
    }
    var options: [String: Located<JSONValue>] = [:]
    if let optionsNode = entry["options"],
      let map = reader.mapping(optionsNode, for: "'options' of connector '\(nameText)'", keys: [])
    {
      for option in map.entries {
        options[option.name] = Located(
          reader.json(option.value), at: reader.location(of: option.key))
      }
    }
    return ConnectorConfig(
      name: name, type: type, hosts: hosts, options: options,
      escalation: readEscalation(entry, reader: &reader), program: program,
      location: reader.location(of: node))
  }

  /// `run:`, `env:` and `timeout:` of an external connector or inventory program.
  private static func readProgram(
    _ entry: MappingReader, owner: String, name: String, reader: inout YAMLReader
  ) -> ExternalProgram? {
    guard let runNode = entry["run"] else {
      for key in ["env", "timeout"] {
        if let keyNode = entry.keyNode(key) {
          reader.error(
            "'\(key)' is for external connectors, and \(owner) has no 'run'",
            at: keyNode, hint: "add `run: [program, arguments...]`, or remove '\(key)'")
        }
      }
      return nil
    }
    if let typeNode = entry.keyNode("type") {
      reader.error(
        "\(owner) has both 'run' and 'type'", at: typeNode,
        hint: "an external connector is its program; remove `type:`")
    }
    guard
      let arguments = reader.stringList(
        runNode, for: "'run'", items: "the program and its arguments")
    else { return nil }
    guard !arguments.isEmpty else {
      reader.error(
        "'run' of \(owner) is empty", at: runNode,
        hint: "e.g. `run: [python3, connectors/\(name).py]`")
      return nil
    }
    var environment: [String: ExternalProgram.EnvironmentValue] = [:]
    if let envNode = entry["env"], let env = reader.mapping(envNode, for: "'env'", keys: []) {
      for variable in env.entries {
        if case .scalar = variable.value {
          if let text = reader.string(
            variable.value, for: "'\(variable.name)'", acceptingScalars: true)
          {
            environment[variable.name] = .value(text)
          }
        } else if let from = reader.mapping(
          variable.value, for: "'\(variable.name)' of 'env'", keys: ["from"]),
          let fromNode = from["from"],
          let name = reader.string(fromNode, for: "'from'")
        {
          from.reportUnknownKeys(into: &reader)
          environment[variable.name] = .from(name)
        } else {
          reader.error(
            "'\(variable.name)' of 'env' must be a value or `{ from: VARIABLE }`",
            at: variable.value, hint: "`{ from: NAME }` takes NAME from infra's own environment")
        }
      }
    }
    var timeout = ExternalProgram.defaultTimeout
    if let timeoutNode = entry["timeout"], let seconds = reader.int(timeoutNode, for: "'timeout'") {
      if seconds >= 1 {
        timeout = seconds
      } else {
        reader.error("'timeout' must be at least 1 second", at: timeoutNode)
      }
    }
    return ExternalProgram(
      arguments: arguments.map(\.value), environment: environment, timeout: timeout,
      location: reader.location(of: runNode))
  }

  /// Names become folder names, so they are kept to a safe, portable alphabet.
  @discardableResult
  static func checkName(
    _ name: String, kind: String, at node: Node, location: SourceLocation? = nil,
    reader: inout YAMLReader
  ) -> Bool {
    if let problem = problemWithName(name) {
      reader.diagnostics.error(
        "'\(name)' is not a valid \(kind) name: \(problem)",
        at: location ?? reader.location(of: node),
        hint: "use letters, digits, '.', '_' and '-', starting with a letter or digit")
      return false
    }
    return true
  }

  /// Why `name` cannot be a host, group, prefix or connector name, or `nil` when it can.
  package static func problemWithName(_ name: String) -> String? {
    guard let first = name.unicodeScalars.first else { return "it is empty" }
    let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "._-"))
    guard CharacterSet.alphanumerics.contains(first), first.isASCII else {
      return "it must start with a letter or digit"
    }
    if let bad = name.unicodeScalars.first(where: { !allowed.contains($0) || !$0.isASCII }) {
      return "it contains '\(bad.escaped(asASCII: true))'"
    }
    return nil
  }
}
