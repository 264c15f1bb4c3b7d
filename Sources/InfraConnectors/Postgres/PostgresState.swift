import Foundation
import InfraCore
import InfraEngine

/// The live state of one postgres resource, as plans compare it: what the catalogs say of the
/// object, never a password or its verifier (only whether the declared password matches).
struct PostgresState: Codable, Hashable {
  var role: RoleState?
  var database: DatabaseState?
  var schemaOwner: String?
  var grant: GrantState?

  struct RoleState: Codable, Hashable {
    var flags: RoleFlags
    var connectionLimit: Int
    var validUntil: String?
    var memberOf: [String]
    /// Whether the declared password is the role's: `matches`, `differs`, `none` (the role
    /// has none) or `unreadable` (the connecting role cannot read verifiers); `nil` when the
    /// file declares none.
    var password: String?
  }

  struct DatabaseState: Codable, Hashable {
    var owner: String
    var encoding: String
    var lcCollate: String
    var lcCtype: String
    var connectionLimit: Int
  }

  /// What the grantee has in the database; privileges on what it owns are left out (an owner
  /// has them all).
  struct GrantState: Codable, Hashable {
    var onDatabase: [String] = []
    var onSchemas: [String: [String]] = [:]
    var defaults: [DefaultPrivilege] = []
    /// Whether the grantee owns the database; then its privileges on it are not compared.
    var ownsDatabase = false
    /// The schemas the grantee owns.
    var ownedSchemas: [String] = []
  }

  var json: JSONValue { (try? JSONValue(encoding: self)) ?? .null }

  init(json: JSONValue) throws { self = try json.decode(as: PostgresState.self) }

  init(
    role: RoleState? = nil, database: DatabaseState? = nil, schemaOwner: String? = nil,
    grant: GrantState? = nil
  ) {
    self.role = role
    self.database = database
    self.schemaOwner = schemaOwner
    self.grant = grant
  }

  /// The database new ones are copies of; what a database created in the same apply will hold
  /// (its schemas and their privileges) is planned from it.
  static let template = "template1"

  /// The live state of `desired` in `catalog`, `.null` where the object does not exist.
  static func live(
    of desired: PostgresDesired, in catalog: PostgresCatalog, passwords: PasswordBox,
    owners: Owners = Owners([])
  ) -> LiveState {
    let state: PostgresState?
    switch desired.kind {
    case .role:
      state = desired.role.flatMap { role in
        catalog.roles[role.name].map { live in
          PostgresState(
            role: RoleState(
              flags: live.flags, connectionLimit: live.connectionLimit,
              validUntil: live.validUntil, memberOf: live.memberOf.sorted(),
              password: role.password.map {
                passwordState(passwords.password($0), of: live, catalog: catalog)
              }))
        }
      }
    case .database:
      state = desired.database.flatMap { catalog.databases[$0.name] }.map {
        PostgresState(
          database: DatabaseState(
            owner: $0.owner, encoding: $0.encoding, lcCollate: $0.lcCollate,
            lcCtype: $0.lcCtype, connectionLimit: $0.connectionLimit))
      }
    case .schema:
      state = desired.schema.flatMap { schema in
        inside(schema.database, catalog)?.schemas.first { $0.name == schema.name }
      }.map { PostgresState(schemaOwner: $0.owner) }
    case .grant:
      state = desired.grant.map { grant in
        // A new database gives everyone CONNECT and TEMPORARY, as PostgreSQL's default does.
        let database =
          catalog.databases[grant.database]
          ?? PostgresCatalog.Database(
            name: grant.database, owner: "", encoding: "", lcCollate: "", lcCtype: "",
            connectionLimit: -1, template: false, connectable: true,
            privileges: ["CONNECT", "TEMPORARY"].map {
              PostgresCatalog.Privilege(grantee: PostgresNames.everyone, privilege: $0)
            })
        return PostgresState(
          grant: grantState(grant, database, inside(grant.database, catalog), owners: owners))
      }
    }
    guard let state else { return LiveState(state: .null, fingerprint: "absent") }
    let json = state.json
    return LiveState(
      state: json, fingerprint: String(SHA256Hex.of(Data(json.serialized.utf8)).prefix(16)))
  }

  /// What is inside `database`: read, or its template's for one that does not exist yet.
  private static func inside(_ database: String, _ catalog: PostgresCatalog)
    -> PostgresCatalog.Inside?
  {
    catalog.inside[database]
      ?? (catalog.databases[database] == nil ? catalog.inside[template] : nil)
  }

  private static func passwordState(
    _ password: Result<String, AgeCipher.Failure>, of role: PostgresCatalog.Role,
    catalog: PostgresCatalog
  ) -> String {
    guard catalog.readsPasswords else { return "unreadable" }
    guard let stored = role.password else { return "none" }
    guard case .success(let clear) = password else { return "differs" }
    return PasswordVerifier.matches(clear, role: role.name, stored: stored) == true
      ? "matches" : "differs"
  }

  /// The owners the host's files give databases and schemas: a role that is to own an object
  /// has an owner's privileges on it, and the plan revokes none of them.
  struct Owners {
    var databases: [String: String] = [:]
    var schemas: [[String]: String] = [:]

    init(_ objects: [PostgresDesired]) {
      for object in objects {
        if let database = object.database, let owner = database.owner {
          databases[database.name] = owner
        }
        if let schema = object.schema, let owner = schema.owner {
          schemas[[schema.database, schema.name]] = owner
        }
      }
    }
  }

  private static func grantState(
    _ grant: GrantSpec, _ database: PostgresCatalog.Database, _ inside: PostgresCatalog.Inside?,
    owners: Owners
  ) -> GrantState {
    let grantee = grant.role
    var state = GrantState()
    state.ownsDatabase = (owners.databases[grant.database] ?? database.owner) == grantee
    if !state.ownsDatabase {
      state.onDatabase = privileges(of: grantee, in: database.privileges)
    }
    for schema in inside?.schemas ?? [] {
      if (owners.schemas[[grant.database, schema.name]] ?? schema.owner) == grantee {
        state.ownedSchemas.append(schema.name)
        continue
      }
      let privileges = privileges(of: grantee, in: schema.privileges)
      if !privileges.isEmpty { state.onSchemas[schema.name] = privileges }
    }
    var defaults: [[String]: Set<String>] = [:]
    for entry in inside?.defaults ?? [] where entry.grantee == grantee {
      defaults[[entry.creator, entry.schema, entry.type], default: []].insert(entry.privilege)
    }
    let targets = PrivilegeTarget.allCases
    state.defaults = defaults.compactMap { key, privileges in
      targets.first { $0.defaultACLType == key[2] }.map {
        DefaultPrivilege(
          creator: key[0], schema: key[1], objects: $0, privileges: privileges.sorted())
      }
    }.sorted()
    return state
  }

  private static func privileges(of grantee: String, in list: [PostgresCatalog.Privilege])
    -> [String]
  {
    Set(list.filter { $0.grantee == grantee }.map(\.privilege)).sorted()
  }
}
