import Foundation
import Yams

extension ConfigLoader {

  static func readPrefixes(_ node: Node, reader: inout YAMLReader) -> [PrefixConfig] {
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

  static func readConnector(_ node: Node, prefix: String, reader: inout YAMLReader)
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

  /// `run:`, `env:`, `timeout:` and `max_message_bytes:` of an external connector, inventory
  /// or transport program.
  static func readProgram(
    _ entry: MappingReader, owner: String, name: String, reader: inout YAMLReader
  ) -> ExternalProgram? {
    if entry["package"] != nil { return readPackage(entry, owner: owner, reader: &reader) }
    guard let runNode = entry["run"] else {
      for key in ["env", "timeout", "max_message_bytes", "python"] {
        if let keyNode = entry.keyNode(key) {
          reader.error(
            "'\(key)' is for external connectors, and \(owner) has no 'run' or 'package'",
            at: keyNode,
            hint: "add `run: [program, arguments...]` or `package: NAME`, or remove '\(key)'")
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
    return readProgramSettings(
      entry, arguments: arguments, at: runNode, owner: owner, name: name, reader: &reader)
  }

  /// `package: NAME`: the connector an installed Python package offers under that name (its
  /// `infra.connectors` entry point), run by `python:` (default `python3`) through the SDK.
  static func readPackage(_ entry: MappingReader, owner: String, reader: inout YAMLReader)
    -> ExternalProgram?
  {
    for key in ["run", "type"] {
      if let keyNode = entry.keyNode(key) {
        reader.error(
          "\(owner) has both 'package' and '\(key)'", at: keyNode,
          hint: "a packaged connector is run by the SDK from its package; remove `\(key):`")
      }
    }
    guard let packageNode = entry["package"],
      let package = reader.string(packageNode, for: "'package'", acceptingScalars: true)
    else { return nil }
    var python = Located("python3", at: reader.location(of: packageNode))
    if let node = entry["python"], let text = reader.string(node, for: "'python'") {
      python = Located(text, at: reader.location(of: node))
    }
    let arguments = [
      python, Located("-m", at: python.location), Located("infra_connector", at: python.location),
      Located(package, at: reader.location(of: packageNode)),
    ]
    return readProgramSettings(
      entry, arguments: arguments, at: packageNode, owner: owner, name: package, reader: &reader)
  }

  /// The `env:`, `timeout:` and `max_message_bytes:` of a program run as `arguments`.
  static func readProgramSettings(
    _ entry: MappingReader, arguments: [Located<String>], at runNode: Node, owner: String,
    name: String, reader: inout YAMLReader
  ) -> ExternalProgram? {
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
    var maxMessageBytes = ExternalProgram.defaultMaxMessageBytes
    if let node = entry["max_message_bytes"],
      let bytes = reader.int(node, for: "'max_message_bytes'")
    {
      if bytes >= ExternalProgram.minimumMaxMessageBytes {
        maxMessageBytes = bytes
      } else {
        reader.error(
          "'max_message_bytes' must be at least \(ExternalProgram.minimumMaxMessageBytes.grouped)",
          at: node,
          hint: "the default is \(ExternalProgram.defaultMaxMessageBytes.grouped) (32 MiB)")
      }
    }
    return ExternalProgram(
      arguments: arguments.map(\.value), environment: environment, timeout: timeout,
      maxMessageBytes: maxMessageBytes, location: reader.location(of: runNode))
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
