import Foundation

/// The live objects of one PostgreSQL server, as one `psql` call reads them from the
/// catalogs: roles and databases of the cluster, and the schemas and default privileges of
/// each database asked about (the script connects to each in turn).
struct PostgresCatalog: Hashable {
  struct Role: Codable, Hashable {
    var name: String
    var flags: RoleFlags
    var connectionLimit: Int
    var validUntil: String?
    /// The stored verifier; `nil` when there is none or it could not be read.
    var password: String?
    var memberOf: [String]
  }

  /// One entry of an access control list (`aclexplode`); `public` is everyone.
  struct Privilege: Codable, Hashable {
    var grantee: String
    var privilege: String
  }

  struct Database: Codable, Hashable {
    var name: String
    var owner: String
    var encoding: String
    var lcCollate: String
    var lcCtype: String
    var connectionLimit: Int
    var template: Bool
    var connectable: Bool
    var privileges: [Privilege]
  }

  struct Schema: Codable, Hashable {
    var name: String
    var owner: String
    var privileges: [Privilege]
  }

  struct DefaultEntry: Codable, Hashable {
    var creator: String
    var schema: String
    var type: String
    var grantee: String
    var privilege: String
  }

  /// What was read inside one database.
  struct Inside: Codable, Hashable {
    var name: String
    var schemas: [Schema]
    var defaults: [DefaultEntry]
  }

  /// Whether the connecting role could read password verifiers (a superuser's privilege).
  var readsPasswords = false
  var roles: [String: Role] = [:]
  var databases: [String: Database] = [:]
  var inside: [String: Inside] = [:]

  struct Malformed: Error, CustomStringConvertible {
    var line: String
    var description: String {
      "psql printed what the postgres connector cannot read: \(line.prefix(200))"
    }
  }

  /// Reads what the catalog script printed: one tagged line of JSON per part.
  init(output: String) throws {
    let decoder = JSONDecoder()
    for line in output.split(separator: "\n", omittingEmptySubsequences: true) {
      let parts = line.split(separator: "\t", maxSplits: 1)
      guard parts.count == 2 else { throw Malformed(line: String(line)) }
      let data = Data(parts[1].utf8)
      do {
        switch parts[0] {
        case "super": readsPasswords = parts[1] == "true"
        case "roles":
          for role in try decoder.decode([Role].self, from: data) { roles[role.name] = role }
        case "databases":
          for database in try decoder.decode([Database].self, from: data) {
            databases[database.name] = database
          }
        case "inside":
          let inside = try decoder.decode(Inside.self, from: data)
          self.inside[inside.name] = inside
        default: throw Malformed(line: String(line))
        }
      } catch let error as Malformed {
        throw error
      } catch {
        throw Malformed(line: String(line))
      }
    }
  }

  init() {}
}
