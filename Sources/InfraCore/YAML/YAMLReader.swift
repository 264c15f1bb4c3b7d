import Yams

/// Reads typed values out of a composed YAML file, appending a located diagnostic for every
/// value that has the wrong shape and carrying on, so one pass reports every problem.
package struct YAMLReader {
  package let file: YAMLFile
  package var diagnostics = Diagnostics()

  package init(file: YAMLFile) {
    self.file = file
  }

  /// The YAML kinds a value can have, named the way messages name them.
  package enum Kind: String {
    case mapping = "a mapping"
    case sequence = "a list"
    case null = "nothing (null)"
    case bool = "a boolean"
    case int = "an integer"
    case float = "a number"
    case string = "a string"
  }

  /// What `node` is, with plain scalars resolved as YAML 1.1 does (`yes` is a boolean).
  package static func kind(of node: Node) -> Kind {
    switch node {
    case .mapping: return .mapping
    case .sequence: return .sequence
    case .alias: return .string
    case .scalar:
      switch node.tag.description {
      case Tag.Name.null.rawValue: return .null
      case Tag.Name.bool.rawValue: return .bool
      case Tag.Name.int.rawValue: return .int
      case Tag.Name.float.rawValue: return .float
      default: return .string
      }
    }
  }

  package func location(of node: Node) -> SourceLocation {
    file.location(of: node)
  }

  package mutating func error(
    _ message: String, at node: Node, hint: String? = nil, notes: [Diagnostic.Note] = []
  ) {
    diagnostics.error(message, at: location(of: node), hint: hint, notes: notes)
  }

  private mutating func wrongKind(_ node: Node, expected: String, for what: String) {
    error("expected \(expected) for \(what), found \(Self.kind(of: node).rawValue)", at: node)
  }

  /// A string scalar. Numbers and booleans are refused rather than silently turned into text,
  /// except where `acceptingScalars` says any scalar's text is meant (names, paths).
  package mutating func string(_ node: Node, for what: String, acceptingScalars: Bool = false)
    -> String?
  {
    let kind = Self.kind(of: node)
    guard case .scalar(let scalar) = node, kind == .string || (acceptingScalars && kind != .null)
    else {
      wrongKind(node, expected: "a string", for: what)
      return nil
    }
    return scalar.string
  }

  package mutating func int(_ node: Node, for what: String) -> Int? {
    guard Self.kind(of: node) == .int, let value = node.int else {
      wrongKind(node, expected: "an integer", for: what)
      return nil
    }
    return value
  }

  package mutating func bool(_ node: Node, for what: String) -> Bool? {
    guard Self.kind(of: node) == .bool, let value = node.bool else {
      wrongKind(node, expected: "true or false", for: what)
      return nil
    }
    return value
  }

  /// A list of strings, each with its own location. A single string is refused: `groups: web`
  /// is almost always meant as `[web]`, and saying so is kinder than guessing.
  package mutating func stringList(_ node: Node, for what: String, items: String = "names")
    -> [Located<String>]?
  {
    guard case .sequence(let sequence) = node else {
      wrongKind(node, expected: "a list of \(items)", for: what)
      return nil
    }
    var items: [Located<String>] = []
    for item in sequence {
      if let text = string(item, for: "an item of \(what)", acceptingScalars: true) {
        items.append(Located(text, at: location(of: item)))
      }
    }
    return items
  }

  /// Any YAML value as JSON, for free-form data (host `data:`, connector `options:`).
  package mutating func json(_ node: Node) -> JSONValue {
    switch node {
    case .mapping(let mapping):
      var object: [String: JSONValue] = [:]
      for (key, value) in mapping {
        if let name = string(key, for: "a key", acceptingScalars: true) {
          object[name] = json(value)
        }
      }
      return .object(object)
    case .sequence(let sequence):
      return .array(sequence.map { json($0) })
    case .alias:
      return .null
    case .scalar(let scalar):
      switch Self.kind(of: node) {
      case .null: return .null
      case .bool: return node.bool.map(JSONValue.bool) ?? .string(scalar.string)
      case .int: return node.int.map(JSONValue.int) ?? .string(scalar.string)
      case .float: return node.float.map(JSONValue.double) ?? .string(scalar.string)
      default: return .string(scalar.string)
      }
    }
  }

  /// Opens a mapping for reading its keys; reports and returns `nil` when `node` is not one.
  package mutating func mapping(_ node: Node, for what: String, keys: [String]) -> MappingReader? {
    guard case .mapping(let mapping) = node else {
      wrongKind(node, expected: "a mapping", for: what)
      return nil
    }
    var entries: [MappingReader.Entry] = []
    for (key, value) in mapping {
      if let name = string(key, for: "a key of \(what)", acceptingScalars: true) {
        entries.append(MappingReader.Entry(name: name, key: key, value: value))
      }
    }
    return MappingReader(node: node, what: what, knownKeys: keys, entries: entries)
  }
}

/// The keys of one YAML mapping, read one by one; whatever is left is reported as unknown.
package struct MappingReader {
  package struct Entry {
    package let name: String
    package let key: Node
    package let value: Node
  }

  package let node: Node
  /// What this mapping is, for messages ("host 'web1'").
  package let what: String
  /// The keys this mapping may have, for reporting the others.
  package let knownKeys: [String]
  package let entries: [Entry]

  package subscript(key: String) -> Node? {
    entries.first { $0.name == key }?.value
  }

  /// The location of `key`'s name, e.g. to point at a required key's owner.
  package func keyNode(_ key: String) -> Node? {
    entries.first { $0.name == key }?.key
  }

  /// Reports every key not in `knownKeys`, with the closest known key as a suggestion.
  package func reportUnknownKeys(into reader: inout YAMLReader) {
    for entry in entries where !knownKeys.contains(entry.name) {
      let expected = knownKeys.map { "'\($0)'" }.joined(separator: ", ")
      var hint = "\(what) takes \(expected)"
      if let suggestion = closestMatch(to: entry.name, in: knownKeys) {
        hint = "did you mean '\(suggestion)'? " + hint
      }
      reader.error("unknown key '\(entry.name.clipped())' in \(what)", at: entry.key, hint: hint)
    }
  }
}

/// The candidate closest to `word` by edit distance, when it is close enough to be a typo.
package func closestMatch(to word: String, in candidates: [String]) -> String? {
  let scored = candidates.map { ($0, editDistance(word.lowercased(), $0.lowercased())) }
  guard let best = scored.min(by: { $0.1 < $1.1 }) else { return nil }
  return best.1 <= max(1, min(word.count, best.0.count) / 3) ? best.0 : nil
}

/// Edit distance between two strings by characters, counting a swap of neighbours as one
/// edit (optimal string alignment), since `fkae` for `fake` is the commonest typo.
package func editDistance(_ a: String, _ b: String) -> Int {
  let a = Array(a)
  let b = Array(b)
  if a.isEmpty { return b.count }
  if b.isEmpty { return a.count }
  var table = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
  for i in 0...a.count { table[i][0] = i }
  for j in 0...b.count { table[0][j] = j }
  for i in 1...a.count {
    for j in 1...b.count {
      let cost = a[i - 1] == b[j - 1] ? 0 : 1
      table[i][j] = min(table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + cost)
      if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
        table[i][j] = min(table[i][j], table[i - 2][j - 2] + 1)
      }
    }
  }
  return table[a.count][b.count]
}
