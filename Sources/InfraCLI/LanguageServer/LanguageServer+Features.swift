import Foundation
import InfraConnectors
import InfraCore
import InfraEngine

/// Hover, completion and go to definition, from the declarations the loaders check.
extension LanguageServer {
  /// What a document is, for its keys: infra.yaml, an attributes file, or neither.
  func schema(of uri: String) -> SchemaNode? {
    guard let path = relativePath(of: uri) else { return nil }
    if path == Repository.configFileName { return .mapping(ConfigSchema.topLevel()) }
    if path.hasSuffix("/.infra-attrs.yaml") { return .mapping(AttributesFile.schema) }
    return nil
  }

  /// The hosts and groups of infra.yaml as the editor has it (or as it is on disk); while it
  /// cannot be read (half typed), as it last could be.
  var config: InfraConfig? {
    if let text = text(of: uri(of: Repository.configFileName)),
      let config = ConfigLoader.parse(text).0
    {
      lastConfig = config
      return config
    }
    return lastConfig
  }

  func hover(_ position: Position) -> JSONValue {
    guard let text = text(of: position.uri) else { return .null }
    let context = YAMLContext(text: text, line: position.line, character: position.character)
    var lines: [String] = []
    // A key the schema declares (or a connector's option); a host's name is a host, below.
    if context.onKey, let key = context.key, key == context.word,
      let node = schema(of: position.uri).flatMap({ Self.node(at: context.path, in: $0) })
    {
      if let option = option(named: key, context: context, text: text, line: position.line) {
        lines.append("**\(key)** (\(option.type.rawValue)): \(option.summary)")
        if let value = option.defaultValue { lines.append("default: `\(value.serialized)`") }
      } else if let child = node.mapping?[key] {
        lines.append("**\(key)**: \(child.summary)")
      }
    }
    if lines.isEmpty, let config {
      let word = context.key == "groups" ? "@" + context.word : context.word
      if let host = config.hosts.first(where: { $0.name == word }) {
        let groups = host.groups.map { "@" + $0.value }.joined(separator: ", ")
        lines.append(
          "host **\(host.name)**: `connect: \(host.connection)`"
            + (groups.isEmpty ? "" : ", groups \(groups)"))
      } else if word.hasPrefix("@") {
        let group = String(word.dropFirst())
        let members = config.hosts.filter { $0.groups.contains { $0.value == group } }.map(\.name)
        if !members.isEmpty {
          lines.append("group **@\(group)**: \(members.joined(separator: ", "))")
        }
      } else if context.key == "type", let info = ConnectorRegistry.builtin[word]?.info {
        lines.append("connector type **\(word)**: \(info.summary)")
      }
    }
    guard !lines.isEmpty else { return .null }
    return .object([
      "contents": .object([
        "kind": .string("markdown"), "value": .string(lines.joined(separator: "\n\n")),
      ])
    ])
  }

  func completion(_ position: Position) -> JSONValue {
    guard let text = text(of: position.uri), let root = schema(of: position.uri) else {
      return .array([])
    }
    let context = YAMLContext(text: text, line: position.line, character: position.character)
    var items: [(label: String, detail: String, kind: Int)] = []
    let node = Self.node(at: context.path, in: root)
    let listOfNames = context.path.last == "-" && context.path.dropLast().last == "hosts"
    if context.onKey, !listOfNames {
      if context.path.last == "options",
        let info = connectorType(context: context, text: text, line: position.line)
      {
        items = info.options.map { ($0.name, $0.summary, 10) }
      } else if let mapping = node?.mapping {
        items = mapping.keys.map { ($0.name, $0.node.summary, 10) }
      }
    } else {
      let key = listOfNames ? "hosts" : context.key ?? ""
      let config = self.config
      switch key {
      case "hosts":
        items = (config?.hosts ?? []).map { ($0.name, "host: connect \($0.connection)", 12) }
        items += (config.map { Inventory(config: $0).groupNames } ?? []).map {
          ("@" + $0, "group", 12)
        }
      case "groups":
        items = (config.map { Inventory(config: $0).groupNames } ?? []).map {
          ($0, "group", 12)
        }
      case "type":
        items = ConnectorRegistry.builtin.typeNames.compactMap { name in
          ConnectorRegistry.builtin[name].map { (name, $0.info.summary, 12) }
        }
      case "connect": items = [("local", "this machine", 12), ("ssh://", "over SSH", 12)]
      default:
        if case .boolean? = node?.mapping?[key] {
          items = [("true", "", 12), ("false", "", 12)]
        } else if case .string(_, _, let values?)? = node?.mapping?[key] {
          items = values.map { ($0, "", 12) }
        }
      }
    }
    let typed = context.typed
    return .array(
      items.filter { typed.isEmpty || $0.label.hasPrefix(typed) }
        .map {
          .object([
            "label": .string($0.label), "kind": .int($0.kind), "detail": .string($0.detail),
          ])
        })
  }

  func definition(_ position: Position) -> JSONValue {
    guard let text = text(of: position.uri), let config else { return .null }
    let context = YAMLContext(text: text, line: position.line, character: position.character)
    let word = context.key == "groups" ? "@" + context.word : context.word
    let location: SourceLocation?
    if word.hasPrefix("@") {
      let group = String(word.dropFirst())
      location =
        config.hosts.lazy.compactMap { $0.groups.first { $0.value == group }?.location }
        .first
    } else {
      location = config.hosts.first { $0.name == word }?.location
    }
    guard let location else { return .null }
    let point = JSONValue.object([
      "line": .int(max((location.line ?? 1) - 1, 0)),
      "character": .int(max((location.column ?? 1) - 1, 0)),
    ])
    return .object([
      "uri": .string(uri(of: Repository.configFileName)),
      "range": .object(["start": point, "end": point]),
    ])
  }

  /// The node of the value at `path` (`-` for a list's item; any name of a mapping of names).
  static func node(at path: [String], in root: SchemaNode) -> SchemaNode? {
    var node = root
    for key in path {
      if key == "-" {
        guard case .list(let item, _, _) = node else { return nil }
        node = item
      } else {
        guard let next = child(key, of: node) else { return nil }
        node = next
      }
    }
    return node
  }

  static func child(_ key: String, of node: SchemaNode) -> SchemaNode? {
    switch node {
    case .mapping(let mapping): return mapping[key] ?? mapping.others
    case .oneOf(let choices, _): return choices.lazy.compactMap { child(key, of: $0) }.first
    default: return nil
    }
  }

  /// The type of the connector entry around `line`: its `type:`, else its name (a builtin of
  /// that name, or the external connector the last load found).
  private func connectorType(context: YAMLContext, text: String, line: Int) -> ConnectorTypeInfo? {
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    var fields: [String: String] = [:]
    var index = line
    while index >= 0 {
      let parsed = YAMLContext.parse(lines[index])
      for key in ["name", "type"] where fields[key] == nil {
        let pattern = "\(key):"
        if let range = lines[index].range(of: pattern) {
          let value = lines[index][range.upperBound...].prefix { $0 != "," && $0 != "}" }
          fields[key] = value.trimmingCharacters(in: .whitespaces)
        }
      }
      if parsed.isItem { break }
      index -= 1
    }
    guard let name = fields["name"] else { return nil }
    return ConnectorRegistry.builtin[fields["type"] ?? name]?.info ?? connectorTypes[name]
  }

  private func option(named key: String, context: YAMLContext, text: String, line: Int)
    -> OptionSpec?
  {
    guard context.path.last == "options" else { return nil }
    return connectorType(context: context, text: text, line: line)?.options.first {
      $0.name == key
    }
  }
}
