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
  /// For a role's op: the role, and the roles it is made a member of, which must exist first.
  var role: String?
  var memberOf: [String]?

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

  /// `ops` in the order they can run: by `rank`, and a role after the roles it joins when
  /// those are created in the same apply (a membership cycle keeps the given order).
  static func ordered<Item>(_ ops: [Item], op: (Item) -> PostgresOp, deleting: (Item) -> Bool)
    -> [Item]
  {
    var pending = ops.enumerated().sorted {
      (op($0.element).rank(deleting: deleting($0.element)), $0.offset)
        < (op($1.element).rank(deleting: deleting($1.element)), $1.offset)
    }.map(\.element)
    var ordered: [Item] = []
    while !pending.isEmpty {
      let waiting = Set(pending.compactMap { op($0).role })
      let next =
        pending.firstIndex { item in
          !(op(item).memberOf ?? []).contains { $0 != op(item).role && waiting.contains($0) }
        } ?? 0
      ordered.append(pending.remove(at: next))
    }
    return ordered
  }

  /// Where the op runs among a host's ops: what others depend on first (roles, then
  /// databases, schemas, privileges), and for drops the other way round.
  func rank(deleting: Bool) -> Int {
    let order: [PostgresDesired.Kind] = [.role, .database, .schema, .grant]
    let index = order.firstIndex(of: kind) ?? 0
    return deleting ? order.count * 2 - index : index
  }
}
