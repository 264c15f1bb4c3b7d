import InfraCore

/// What one postgres resource file declares, as the connector keeps it in `Resource.desired`.
/// A password is never in it: `password` names where it comes from, and the value waits in
/// the connector's memory (`PasswordBox`).
struct PostgresDesired: Codable, Hashable {
  enum Kind: String, Codable, CaseIterable {
    case role, database, schema, grant

    /// The folder below a host or group folder.
    var folder: String { rawValue + "s" }
  }

  var kind: Kind
  /// Declared `state: absent`, or the file was deleted in git.
  var absent = false
  var role: RoleSpec?
  var database: DatabaseSpec?
  var schema: SchemaSpec?
  var grant: GrantSpec?

  /// Two files declare the same object of a host when their keys are equal.
  var key: String {
    switch kind {
    case .role: "role\u{0}" + (role?.name ?? "")
    case .database: "database\u{0}" + (database?.name ?? "")
    case .schema: "schema\u{0}" + (schema.map { $0.database + "\u{0}" + $0.name } ?? "")
    case .grant: "grant\u{0}" + (grant.map { $0.role + "\u{0}" + $0.database } ?? "")
    }
  }

  /// The object for people: `role "app"`, `schema "app"."reports"`.
  var shown: String {
    switch kind {
    case .role: "role \(SQL.identifier(role?.name ?? ""))"
    case .database: "database \(SQL.identifier(database?.name ?? ""))"
    case .schema:
      "schema \(SQL.identifier(schema?.database ?? "")).\(SQL.identifier(schema?.name ?? ""))"
    case .grant:
      "privileges of \(SQL.grantee(grant?.role ?? "")) in database \(SQL.identifier(grant?.database ?? ""))"
    }
  }

  /// The database the object's statements run in; `nil` for cluster-wide ones.
  var insideDatabase: String? {
    switch kind {
    case .role, .database: nil
    case .schema: schema?.database
    case .grant: grant?.database
    }
  }
}

/// A role's attributes; those not in the file have PostgreSQL's `CREATE ROLE` defaults, so a
/// file states the whole role.
struct RoleSpec: Codable, Hashable {
  var name: String
  var flags = RoleFlags()
  var connectionLimit = -1
  /// `infinity` or a UTC time, `2027-01-31T00:00:00Z`; `nil` for no expiry.
  var validUntil: String?
  /// Every role it is a member of, sorted.
  var memberOf: [String] = []
  /// Where the password comes from (`file secrets/app.pass.age`); `nil` leaves it alone.
  var password: String?
}

/// The yes-or-no attributes of a role, with `CREATE ROLE`'s defaults.
struct RoleFlags: Codable, Hashable {
  var superuser = false
  var createdb = false
  var createrole = false
  var inherit = true
  var login = false
  var replication = false
  var bypassrls = false

  /// Each flag with its file key and its SQL keyword.
  static var all: [(key: String, keyword: String, path: WritableKeyPath<RoleFlags, Bool>)] {
    [
      ("superuser", "SUPERUSER", \.superuser), ("createdb", "CREATEDB", \.createdb),
      ("createrole", "CREATEROLE", \.createrole), ("inherit", "INHERIT", \.inherit),
      ("login", "LOGIN", \.login), ("replication", "REPLICATION", \.replication),
      ("bypassrls", "BYPASSRLS", \.bypassrls),
    ]
  }
}

struct DatabaseSpec: Codable, Hashable {
  var name: String
  /// `nil` leaves the owner alone (a new database belongs to the connecting role).
  var owner: String?
  /// Fixed when the database is created: a later difference is reported, never "fixed".
  var encoding: String?
  var lcCollate: String?
  var lcCtype: String?
  /// Used when the database is created; `template0` when an encoding or locale is given.
  var template: String?
  var connectionLimit = -1
}

struct SchemaSpec: Codable, Hashable {
  var database: String
  var name: String
  var owner: String?
}

/// Every privilege one role (or `public`, everyone) has in one database: on the database, on
/// each of its schemas, and by default on what roles create in them. The file is the whole
/// truth: a privilege it does not list is revoked, except on what the role owns.
struct GrantSpec: Codable, Hashable {
  var role: String
  var database: String
  var onDatabase: [String] = []
  /// Schema name to privileges, for every schema the role has privileges on.
  var onSchemas: [String: [String]] = [:]
  var defaults: [DefaultPrivilege] = []
}

/// `ALTER DEFAULT PRIVILEGES FOR ROLE creator IN SCHEMA schema GRANT … ON objects`.
struct DefaultPrivilege: Codable, Hashable, Comparable {
  var creator: String
  var schema: String
  var objects: PrivilegeTarget
  var privileges: [String]

  static func < (lhs: DefaultPrivilege, rhs: DefaultPrivilege) -> Bool {
    (lhs.creator, lhs.schema, lhs.objects.rawValue) < (
      rhs.creator, rhs.schema, rhs.objects.rawValue
    )
  }
}

/// What privileges are on, with the privileges each kind has.
enum PrivilegeTarget: String, Codable, CaseIterable {
  case database, schema, tables, sequences, functions, types

  var privileges: [String] {
    switch self {
    case .database: ["CONNECT", "CREATE", "TEMPORARY"]
    case .schema: ["CREATE", "USAGE"]
    case .tables: ["DELETE", "INSERT", "REFERENCES", "SELECT", "TRIGGER", "TRUNCATE", "UPDATE"]
    case .sequences: ["SELECT", "UPDATE", "USAGE"]
    case .functions: ["EXECUTE"]
    case .types: ["USAGE"]
    }
  }

  /// The letter of `pg_default_acl.defaclobjtype`.
  var defaultACLType: String? {
    switch self {
    case .tables: "r"
    case .sequences: "S"
    case .functions: "f"
    case .types: "T"
    case .database, .schema: nil
    }
  }

  /// The words after `ON` in `ALTER DEFAULT PRIVILEGES … ON TABLES`.
  var keyword: String { rawValue.uppercased() }

  /// The privileges `names` (any case, `ALL`, `TEMP`) as PostgreSQL names them, sorted, or the
  /// first name that is not one of this target's.
  func normalized(_ names: [String]) -> Result<[String], NotAPrivilege> {
    var result: Set<String> = []
    for name in names {
      let upper = name.uppercased()
      if upper == "ALL" || upper == "ALL PRIVILEGES" {
        result.formUnion(privileges)
      } else if upper == "TEMP", self == .database {
        result.insert("TEMPORARY")
      } else if privileges.contains(upper) {
        result.insert(upper)
      } else {
        return .failure(NotAPrivilege(name: name, target: self))
      }
    }
    return .success(result.sorted())
  }

  struct NotAPrivilege: Error {
    var name: String
    var target: PrivilegeTarget
  }
}

extension PostgresDesired {
  var json: JSONValue { (try? JSONValue(encoding: self)) ?? .null }

  init(json: JSONValue) throws { self = try json.decode(as: PostgresDesired.self) }
}
