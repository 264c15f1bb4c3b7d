import Foundation
import InfraCore
import Yams

/// One user file: `users/<host or @group>/<NAME>.yaml`. What it leaves out is not managed
/// (but for `create_home`, true by default, when the account is created).
///
/// ```yaml
/// uid: 1500
/// group: deploy              # primary group
/// groups: [www-data]         # supplementary groups: exactly these, or with `append: true` at least these
/// shell: /bin/bash
/// comment: Deploy user
/// authorized_keys:
///   - ssh-ed25519 AAAA… deploy@laptop
/// ```
struct UserFile: NamedResourceFile, Hashable, Codable {
  var name: String
  var uid: Int?
  var group: String?
  var groups: [String]?
  var append = false
  var shell: String?
  var home: String?
  var createHome: Bool?
  var comment: String?
  var system = false
  var locked: Bool?
  var authorizedKeys: [String]?
  var absent = false
  var removeHome = false

  static let what = "a user file"
  static let keys = [
    "name", "uid", "group", "groups", "append", "shell", "home", "create_home", "comment", "system",
    "locked", "authorized_keys", "state", "remove_home",
  ]

  var json: JSONValue { (try? JSONValue(encoding: self)) ?? .null }
  init(name: String) { self.name = name }
  init(json: JSONValue) throws { self = try json.decode(as: UserFile.self) }

  /// Deleted, home kept: what deleting its file in git asks for.
  var removal: UserFile {
    var removal = UserFile(name: name)
    removal.absent = true
    return removal
  }

  /// The content `authorized_keys` gets.
  var keysContent: String? {
    authorizedKeys.map { $0.isEmpty ? "" : $0.joined(separator: "\n") + "\n" }
  }

  static func read(_ yaml: YAMLFile, stem: String) -> (UserFile?, [Diagnostic]) {
    var fields = AccountFields(reader: YAMLReader(file: yaml))
    var file = UserFile(name: stem)
    if let root = yaml.root {
      guard let map = fields.reader.mapping(root, for: what, keys: keys) else {
        return (nil, fields.reader.diagnostics.all)
      }
      map.reportUnknownKeys(into: &fields.reader)
      fields.map = map
    }
    file.name = fields.name(default: stem, kind: "user", in: yaml)
    file.uid = fields.id("uid")
    file.group = fields.accountName("group")
    if let node = fields.map?["groups"],
      let names = fields.reader.stringList(node, for: "'groups'", items: "group names")
    {
      file.groups = names.map(\.value)
      for name in names where !AccountNames.isValid(name.value) {
        fields.reader.diagnostics.error(
          "'\(name.value.clipped())' is not a group name", at: name.location,
          hint: AccountNames.hint)
      }
    }
    file.append = fields.bool("append") ?? false
    file.shell = fields.field("shell", path: true)
    file.home = fields.field("home", path: true)
    file.createHome = fields.bool("create_home")
    file.comment = fields.field("comment", path: false)
    file.system = fields.bool("system") ?? false
    file.locked = fields.bool("locked")
    file.authorizedKeys = fields.keys()
    file.absent = fields.absent(
      hint: "`state: absent` deletes the account (its home too with `remove_home: true`)")
    file.removeHome = fields.bool("remove_home") ?? false
    if file.removeHome, !file.absent, let node = fields.map?.keyNode("remove_home") {
      fields.reader.diagnostics.warning(
        "'remove_home' only matters with `state: absent`", at: fields.reader.location(of: node))
    }
    let diagnostics = fields.reader.diagnostics.all
    return (diagnostics.contains { $0.severity == .error } ? nil : file, diagnostics)
  }
}

extension AccountFields {
  /// A group by name or numeric id.
  mutating func accountName(_ key: String) -> String? {
    guard let (text, node) = string(key) else { return nil }
    guard AccountNames.isValid(text) || (Int(text).map { $0 >= 0 } ?? false) else {
      reader.error(
        "'\(text.clipped())' is not a group name or id", at: node, hint: AccountNames.hint)
      return nil
    }
    return text
  }

  /// A passwd field: no `:` or line break, which would break the file; a path is absolute.
  mutating func field(_ key: String, path: Bool) -> String? {
    guard let (text, node) = string(key) else { return nil }
    if text.contains(where: { $0 == ":" || $0.isNewline || $0 == "\0" }) {
      reader.error(
        "'\(key)' cannot hold ':' or a line break (they would break /etc/passwd)", at: node)
      return nil
    }
    if path, !text.hasPrefix("/") {
      reader.error("'\(key)' must be an absolute path, not '\(text.clipped())'", at: node)
      return nil
    }
    return text
  }

  /// `authorized_keys:`, one key per item, each a line of `authorized_keys`.
  mutating func keys() -> [String]? {
    guard let node = map?["authorized_keys"] else { return nil }
    guard let items = reader.stringList(node, for: "'authorized_keys'", items: "public keys") else {
      return nil
    }
    var keys: [String] = []
    for item in items {
      let key = item.value.trimmingCharacters(in: .whitespaces)
      if key.contains(where: { $0.isNewline || $0 == "\0" }) || key.split(separator: " ").count < 2
      {
        reader.diagnostics.error(
          "this is not one public key line", at: item.location,
          hint: "a key as `ssh-keygen` writes it: ssh-ed25519 AAAA… comment, one per item")
      } else {
        keys.append(key)
      }
    }
    return keys
  }
}
