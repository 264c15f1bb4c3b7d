import Foundation
import InfraCore
import Yams

/// One group file: `groups/<host or @group>/<NAME>.yaml`, with `gid:`, `system:` (when it is
/// created) or `state: absent`. Members are managed by the users' `groups:`.
struct GroupFile: NamedResourceFile, Hashable, Codable {
  var name: String
  var gid: Int?
  var system = false
  var absent = false

  static let what = "a group file"
  static let keys = ["name", "gid", "system", "state"]

  var json: JSONValue { (try? JSONValue(encoding: self)) ?? .null }
  init(name: String) { self.name = name }
  init(json: JSONValue) throws { self = try json.decode(as: GroupFile.self) }

  var removal: GroupFile {
    var removal = GroupFile(name: name)
    removal.absent = true
    return removal
  }

  static func read(_ yaml: YAMLFile, stem: String) -> (GroupFile?, [Diagnostic]) {
    var reader = YAMLReader(file: yaml)
    var file = GroupFile(name: stem)
    var fields = AccountFields(reader: reader)
    if let root = yaml.root {
      guard let map = fields.reader.mapping(root, for: what, keys: keys) else {
        return (nil, fields.reader.diagnostics.all)
      }
      map.reportUnknownKeys(into: &fields.reader)
      fields.map = map
      file.name = fields.name(default: stem, kind: "group", in: yaml)
      file.gid = fields.id("gid")
      file.system = fields.bool("system") ?? false
      file.absent = fields.absent(hint: "`state: absent` deletes the group")
    } else {
      file.name = fields.name(default: stem, kind: "group", in: yaml)
    }
    reader = fields.reader
    let diagnostics = reader.diagnostics.all
    return (diagnostics.contains { $0.severity == .error } ? nil : file, diagnostics)
  }
}

/// Reads the fields account files share, each problem located.
struct AccountFields {
  var reader: YAMLReader
  var map: MappingReader?

  init(reader: YAMLReader) {
    self.reader = reader
  }

  /// The account's name: `name:`, or the file's, refused unless it is a safe name.
  mutating func name(default stem: String, kind: String, in yaml: YAMLFile) -> String {
    var name = stem
    var node: Node?
    if let value = map?["name"], let text = reader.string(value, for: "'name'") {
      name = text
      node = value
    }
    if !AccountNames.isValid(name) {
      let message = "'\(name.clipped())' is not a \(kind) name infra manages"
      if let node {
        reader.error(message, at: node, hint: AccountNames.hint)
      } else {
        reader.diagnostics.error(
          message, at: SourceLocation(file: yaml.path),
          hint: AccountNames.hint + "; rename the file")
      }
    }
    return name
  }

  mutating func id(_ key: String) -> Int? {
    guard let node = map?[key], let value = reader.int(node, for: "'\(key)'") else { return nil }
    guard (0...Int(Int32.max)).contains(value) else {
      reader.error("'\(key)' must be between 0 and \(Int32.max), not \(value)", at: node)
      return nil
    }
    return value
  }

  mutating func bool(_ key: String) -> Bool? {
    map?[key].flatMap { reader.bool($0, for: "'\(key)'") }
  }

  mutating func string(_ key: String) -> (String, Node)? {
    guard let node = map?[key],
      let text = reader.string(node, for: "'\(key)'", acceptingScalars: true)
    else { return nil }
    return (text, node)
  }

  /// `state: present` or `absent`.
  mutating func absent(hint: String) -> Bool {
    guard let (text, node) = string("state") else { return false }
    guard text == "present" || text == "absent" else {
      reader.error(
        "'state' must be 'present' or 'absent', not '\(text.clipped())'", at: node, hint: hint)
      return false
    }
    return text == "absent"
  }
}
