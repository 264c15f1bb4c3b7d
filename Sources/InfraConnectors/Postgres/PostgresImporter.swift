import Foundation
import InfraCore
import InfraEngine

/// `infra import` for postgres: resource files that declare what a server has, so that the
/// next plan shows no change. Passwords are not imported (PostgreSQL keeps only verifiers):
/// a role that has one says so in a comment.
struct PostgresImporter {
  let settings: PostgresConnector.Settings
  let host: String

  func list(_ psql: PsqlRunner) async throws -> ListResponse {
    let cluster = try await PostgresConnector.catalog(psql, inside: [])
    let databases = cluster.databases.values.filter { !$0.template && $0.connectable }
      .map(\.name).sorted()
    let catalog = try await PostgresConnector.catalog(psql, inside: databases)
    var files: [(address: Address, content: Data)] = []
    func add(_ path: [String], _ lines: [String]) {
      let address = Address(prefix: settings.prefix, segments: [settings.name, host] + path)
      files.append((address, Data((lines.joined(separator: "\n") + "\n").utf8)))
    }
    for role in catalog.roles.values.sorted(by: { $0.name < $1.name })
    where !role.name.hasPrefix("pg_") {
      let (stem, nameLines) = Self.fileName(role.name, key: "name")
      add(["roles", stem + ".yaml"], nameLines + roleLines(role, catalog: catalog))
    }
    for name in databases {
      guard let database = catalog.databases[name] else { continue }
      let (stem, nameLines) = Self.fileName(name, key: "name")
      var lines = nameLines + ["owner: \(Self.quoted(database.owner))"]
      lines.append("encoding: \(Self.quoted(database.encoding))")
      if database.lcCollate == database.lcCtype {
        lines.append("locale: \(Self.quoted(database.lcCollate))")
      } else {
        lines += [
          "lc_collate: \(Self.quoted(database.lcCollate))",
          "lc_ctype: \(Self.quoted(database.lcCtype))",
        ]
      }
      if database.connectionLimit != -1 {
        lines.append("connection_limit: \(database.connectionLimit)")
      }
      add(["databases", stem + ".yaml"], lines)
      guard let inside = catalog.inside[name] else { continue }
      let (folder, databaseLines) = Self.fileName(name, key: "database")
      for schema in inside.schemas {
        let (schemaStem, schemaLines) = Self.fileName(schema.name, key: "name")
        add(
          ["schemas", folder, schemaStem + ".yaml"],
          databaseLines + schemaLines + ["owner: \(Self.quoted(schema.owner))"])
      }
      for grantee in grantees(database, inside) {
        let grant = GrantSpec(role: grantee, database: name)
        let desired = PostgresDesired(kind: .grant, grant: grant)
        let live = PostgresState.live(of: desired, in: catalog, passwords: settings.passwords)
        guard let state = try? PostgresState(json: live.state).grant else { continue }
        var lines = grantLines(state)
        if lines.isEmpty {
          // Everyone's defaults revoked is worth keeping; another role without any, not.
          guard grantee == PostgresNames.everyone else { continue }
          lines = ["# everyone (PUBLIC) has no privileges in this database"]
        }
        let (roleFolder, roleLines) = Self.fileName(grantee, key: "role")
        add(["grants", roleFolder, folder + ".yaml"], roleLines + databaseLines + lines)
      }
    }
    return ListResponse(files: files)
  }

  private func roleLines(_ role: PostgresCatalog.Role, catalog: PostgresCatalog) -> [String] {
    var lines: [String] = []
    let defaults = RoleFlags()
    for flag in RoleFlags.all where role.flags[keyPath: flag.path] != defaults[keyPath: flag.path] {
      lines.append("\(flag.key): \(role.flags[keyPath: flag.path])")
    }
    if role.connectionLimit != -1 { lines.append("connection_limit: \(role.connectionLimit)") }
    if let validUntil = role.validUntil, validUntil != "infinity" {
      lines.append("valid_until: \(Self.quoted(validUntil))")
    }
    if !role.memberOf.isEmpty {
      lines.append(
        "member_of: [" + role.memberOf.sorted().map(Self.quoted).joined(separator: ", ") + "]")
    }
    if role.password != nil || !catalog.readsPasswords && role.flags.login {
      lines.append(
        "# password: not imported (PostgreSQL keeps only a verifier); to manage it, add `password: {file: secrets/NAME.age}`"
      )
    }
    return lines
  }

  /// Every role with privileges in the database besides the owners of what they have them on.
  private func grantees(_ database: PostgresCatalog.Database, _ inside: PostgresCatalog.Inside)
    -> [String]
  {
    var names = Set(database.privileges.map(\.grantee)).subtracting([database.owner])
    names.insert(PostgresNames.everyone)
    for schema in inside.schemas {
      names.formUnion(Set(schema.privileges.map(\.grantee)).subtracting([schema.owner]))
    }
    names.formUnion(inside.defaults.map(\.grantee))
    return names.sorted()
  }

  private func grantLines(_ state: PostgresState.GrantState) -> [String] {
    var lines: [String] = []
    let list = { (names: [String]) in "[" + names.joined(separator: ", ") + "]" }
    if !state.onDatabase.isEmpty { lines.append("on_database: \(list(state.onDatabase))") }
    if !state.onSchemas.isEmpty {
      lines.append("on_schemas:")
      for (schema, privileges) in state.onSchemas.sorted(by: { $0.key < $1.key }) {
        lines.append("  \(Self.quoted(schema)): \(list(privileges))")
      }
    }
    if !state.defaults.isEmpty {
      lines.append("default_privileges:")
      for entry in state.defaults {
        lines.append(
          "  - {for_role: \(Self.quoted(entry.creator)), schema: \(Self.quoted(entry.schema)), \(entry.objects.rawValue): \(list(entry.privileges))}"
        )
      }
    }
    return lines
  }

  /// A YAML string that reads back as exactly `text`.
  static func quoted(_ text: String) -> String { JSONValue.string(text).serialized }

  /// The file or folder name for an object's name, and the line naming it in the file when
  /// the name cannot be a file name as it is.
  static func fileName(_ name: String, key: String) -> (String, [String]) {
    let safe = name.unicodeScalars.allSatisfy {
      ($0.properties.isAlphabetic || $0.properties.numericType != nil
        || "_-.".unicodeScalars.contains($0))
        && $0.isASCII
    }
    if safe, !name.hasPrefix("."), PostgresLoader.stem(name) == nil, !name.hasPrefix("@") {
      return (name, [])
    }
    var stem = String(
      String.UnicodeScalarView(
        name.unicodeScalars.map { $0.isASCII && $0.properties.isAlphabetic ? $0 : "_" }))
    stem = String(stem.prefix(40)) + "-" + SHA256Hex.of(Data(name.utf8)).prefix(8)
    return (stem, ["\(key): \(quoted(name))"])
  }
}
