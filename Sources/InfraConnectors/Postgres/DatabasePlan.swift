import InfraCore
import InfraEngine

/// The statements for databases and schemas. What PostgreSQL fixes when it creates a
/// database (encoding and locale) is compared and reported, never changed.
enum DatabasePlan {
  static func plan(_ database: DatabaseSpec, absent: Bool, live: PostgresState.DatabaseState?)
    throws -> PostgresChange?
  {
    let name = SQL.identifier(database.name)
    if absent {
      guard live != nil else { return nil }
      return (
        .delete,
        PostgresOp(
          kind: .database, statements: [.init("DROP DATABASE \(name)")], transaction: false),
        []
      )
    }
    guard let live else {
      var clauses: [String] = []
      if let owner = database.owner { clauses.append("OWNER \(SQL.identifier(owner))") }
      let fixed = database.encoding != nil || database.lcCollate != nil || database.lcCtype != nil
      if let template = database.template ?? (fixed ? "template0" : nil) {
        clauses.append("TEMPLATE \(SQL.identifier(template))")
      }
      if let encoding = database.encoding { clauses.append("ENCODING \(SQL.literal(encoding))") }
      if let collate = database.lcCollate { clauses.append("LC_COLLATE \(SQL.literal(collate))") }
      if let ctype = database.lcCtype { clauses.append("LC_CTYPE \(SQL.literal(ctype))") }
      if database.connectionLimit != -1 {
        clauses.append("CONNECTION LIMIT \(database.connectionLimit)")
      }
      let sql = (["CREATE DATABASE \(name)"] + clauses).joined(separator: " ")
      return (
        .create, PostgresOp(kind: .database, statements: [.init(sql)], transaction: false), []
      )
    }
    var fixedDifferences: [String] = []
    let same = { (a: String, b: String) in
      a.lowercased().replacingOccurrences(of: "-", with: "")
        == b.lowercased().replacingOccurrences(of: "-", with: "")
    }
    for (key, wanted, has) in [
      ("encoding", database.encoding, live.encoding),
      ("lc_collate", database.lcCollate, live.lcCollate),
      ("lc_ctype", database.lcCtype, live.lcCtype),
    ] {
      if let wanted, !same(wanted, has) {
        fixedDifferences.append("\(key) is \(has), not \(wanted)")
      }
    }
    guard fixedDifferences.isEmpty else {
      throw PostgresPlanner.Problem(
        message: "database \(name) exists with other settings than its file's: "
          + fixedDifferences.joined(separator: ", ")
          + "; PostgreSQL fixes them when it creates a database (dump, drop and create it again, or change the file)"
      )
    }
    var statements: [PostgresOp.Statement] = []
    var changes: [String] = []
    if let owner = database.owner, owner != live.owner {
      statements.append(.init("ALTER DATABASE \(name) OWNER TO \(SQL.identifier(owner))"))
      changes.append("owner \(live.owner) → \(owner)")
    }
    if database.connectionLimit != live.connectionLimit {
      statements.append(
        .init("ALTER DATABASE \(name) CONNECTION LIMIT \(database.connectionLimit)"))
      changes.append("connection_limit \(live.connectionLimit) → \(database.connectionLimit)")
    }
    return (.update, PostgresOp(kind: .database, statements: statements), changes)
  }

  static func plan(_ schema: SchemaSpec, absent: Bool, exists: Bool, owner: String?)
    -> PostgresChange?
  {
    let name = SQL.identifier(schema.name)
    let inside = schema.database
    if absent {
      guard exists else { return nil }
      return (
        .delete,
        PostgresOp(kind: .schema, database: inside, statements: [.init("DROP SCHEMA \(name)")]), []
      )
    }
    guard exists else {
      let authorization = schema.owner.map { " AUTHORIZATION \(SQL.identifier($0))" } ?? ""
      return (
        .create,
        PostgresOp(
          kind: .schema, database: inside,
          statements: [.init("CREATE SCHEMA \(name)\(authorization)")]),
        []
      )
    }
    guard let wanted = schema.owner, let owner, wanted != owner else { return nil }
    return (
      .update,
      PostgresOp(
        kind: .schema, database: inside,
        statements: [.init("ALTER SCHEMA \(name) OWNER TO \(SQL.identifier(wanted))")]),
      ["owner \(owner) → \(wanted)"]
    )
  }
}
