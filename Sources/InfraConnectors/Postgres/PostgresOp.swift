import InfraCore

/// What applying one postgres op runs: statements in one database, in a transaction where
/// PostgreSQL allows one. It is the op's payload; `shown` is what the plan prints.
struct PostgresOp: Codable, Hashable {
  struct Statement: Codable, Hashable {
    var sql: String
    /// The statement for people: the same, with a password's verifier left out.
    var shown: String

    init(_ sql: String, shown: String? = nil) {
      self.sql = sql
      self.shown = shown ?? sql
    }

    var isSensitive: Bool { sql != shown }
  }

  var kind: PostgresDesired.Kind
  /// The database to run in; `nil` for the connection's own (roles, databases).
  var database: String?
  var statements: [Statement]
  /// `CREATE DATABASE` and `DROP DATABASE` cannot run in a transaction block.
  var transaction = true

  var json: JSONValue { (try? JSONValue(encoding: self)) ?? .null }

  init(json: JSONValue) throws { self = try json.decode(as: PostgresOp.self) }

  init(
    kind: PostgresDesired.Kind, database: String? = nil, statements: [Statement],
    transaction: Bool = true
  ) {
    self.kind = kind
    self.database = database
    self.statements = statements
    self.transaction = transaction
  }

  /// Where the op runs among a host's ops: what others depend on first (roles, then
  /// databases, schemas, privileges), and for drops the other way round.
  func rank(deleting: Bool) -> Int {
    let order: [PostgresDesired.Kind] = [.role, .database, .schema, .grant]
    let index = order.firstIndex(of: kind) ?? 0
    return deleting ? order.count * 2 - index : index
  }
}
