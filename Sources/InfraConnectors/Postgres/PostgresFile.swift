import Foundation
import InfraCore
import Yams

/// Reads one postgres resource file: `roles/NAME.yaml`, `databases/NAME.yaml`,
/// `schemas/DATABASE/NAME.yaml` or `grants/ROLE/DATABASE.yaml` below a host or group folder.
/// Names come from the path unless the file says `name:` (or `role:`, `database:`), for names
/// a file name cannot hold. Every problem is reported with its line and column.
struct PostgresFile {
  /// Where a role's password comes from.
  enum PasswordSource: Hashable {
    /// A file of the repository, decrypted when it ends in `.age`.
    case file(String)
    /// A variable of infra's environment.
    case environment(String)

    /// How plans and keys name it.
    var described: String {
      switch self {
      case .file(let path): "file \(path)"
      case .environment(let name): "env \(name)"
      }
    }
  }

  var desired: PostgresDesired
  var password: PasswordSource?

  static let commonKeys = ["state"]
  static let keys: [PostgresDesired.Kind: [String]] = [
    .role: ["name", "connection_limit", "valid_until", "member_of", "password"]
      + RoleFlags.all.map(\.key),
    .database: [
      "name", "owner", "encoding", "locale", "lc_collate", "lc_ctype", "template",
      "connection_limit",
    ],
    .schema: ["name", "database", "owner"],
    .grant: ["role", "database", "on_database", "on_schemas", "default_privileges"],
  ]

  /// `names` are the object's names from the path: the role, database, schema's database and
  /// name, or grant's role and database.
  static func read(_ yaml: YAMLFile, kind: PostgresDesired.Kind, names: [String])
    -> (PostgresFile?, [Diagnostic])
  {
    var reader = YAMLReader(file: yaml)
    var file = PostgresFile(desired: PostgresDesired(kind: kind))
    let what = "a \(kind.rawValue) file"
    var map: MappingReader?
    if let root = yaml.root {
      map = reader.mapping(root, for: what, keys: commonKeys + keys[kind]!)
      guard map != nil else { return (nil, reader.diagnostics.all) }
    }
    map?.reportUnknownKeys(into: &reader)
    var fields = Fields(map: map, reader: reader)
    if let node = map?["state"], let text = fields.reader.string(node, for: "'state'") {
      guard text == "present" || text == "absent" else {
        fields.reader.error(
          "'state' must be 'present' or 'absent', not '\(text)'", at: node,
          hint: "`state: absent` drops the \(kind.rawValue) (revokes, for privileges)")
        return (nil, fields.reader.diagnostics.all)
      }
      file.desired.absent = text == "absent"
    }
    switch kind {
    case .role:
      var role = RoleSpec(name: fields.name("name", default: names[0], role: true))
      for flag in RoleFlags.all {
        if let value = fields.bool(flag.key) { role.flags[keyPath: flag.path] = value }
      }
      role.connectionLimit = fields.int("connection_limit") ?? -1
      role.validUntil = fields.validUntil()
      role.memberOf = fields.names("member_of").sorted()
      file.password = fields.password()
      role.password = file.password?.described
      file.desired.role = role
    case .database:
      var database = DatabaseSpec(name: fields.name("name", default: names[0]))
      database.owner = fields.optionalName("owner")
      database.encoding = fields.string("encoding")?.uppercased()
      let locale = fields.string("locale")
      database.lcCollate = fields.string("lc_collate") ?? locale
      database.lcCtype = fields.string("lc_ctype") ?? locale
      database.template = fields.optionalName("template")
      database.connectionLimit = fields.int("connection_limit") ?? -1
      file.desired.database = database
    case .schema:
      file.desired.schema = SchemaSpec(
        database: fields.name("database", default: names[0]),
        name: fields.name("name", default: names[1]), owner: fields.optionalName("owner"))
    case .grant:
      var grant = GrantSpec(
        role: fields.name("role", default: names[0], grantee: true),
        database: fields.name("database", default: names[1]))
      grant.onDatabase = fields.privileges("on_database", on: .database)
      grant.onSchemas = fields.schemaPrivileges()
      grant.defaults = fields.defaultPrivileges()
      file.desired.grant = grant
    }
    let diagnostics = fields.reader.diagnostics.all
    return (diagnostics.contains { $0.severity == .error } ? nil : file, diagnostics)
  }
}
