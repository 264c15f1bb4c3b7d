import InfraCore
import InfraEngine

/// The `GRANT`, `REVOKE` and `ALTER DEFAULT PRIVILEGES` statements that give a role exactly the
/// privileges its file lists in one database.
enum GrantPlan {
  static func plan(_ grant: GrantSpec, absent: Bool, live: PostgresState.GrantState?)
    -> PostgresChange?
  {
    let live = live ?? PostgresState.GrantState()
    let wanted = absent ? GrantSpec(role: grant.role, database: grant.database) : grant
    let grantee = SQL.grantee(grant.role)
    let database = SQL.identifier(grant.database)
    var statements: [PostgresOp.Statement] = []
    var changes: [String] = []
    func difference(_ wanted: [String], _ has: [String], on object: String, shown: String) {
      let add = Set(wanted).subtracting(has).sorted()
      let remove = Set(has).subtracting(wanted).sorted()
      if !add.isEmpty {
        statements.append(.init("GRANT \(add.joined(separator: ", ")) ON \(object) TO \(grantee)"))
        changes.append("+\(add.joined(separator: ",")) on \(shown)")
      }
      if !remove.isEmpty {
        statements.append(
          .init("REVOKE \(remove.joined(separator: ", ")) ON \(object) FROM \(grantee)"))
        changes.append("−\(remove.joined(separator: ",")) on \(shown)")
      }
    }
    if !live.ownsDatabase {
      difference(wanted.onDatabase, live.onDatabase, on: "DATABASE \(database)", shown: "database")
    }
    let schemas = Set(wanted.onSchemas.keys).union(live.onSchemas.keys)
      .subtracting(live.ownedSchemas).sorted()
    for schema in schemas {
      difference(
        wanted.onSchemas[schema] ?? [], live.onSchemas[schema] ?? [],
        on: "SCHEMA \(SQL.identifier(schema))", shown: "schema \(schema)")
    }
    let key = { (entry: DefaultPrivilege) in [entry.creator, entry.schema, entry.objects.rawValue] }
    let wantedDefaults = Dictionary(wanted.defaults.map { (key($0), $0) }) { first, _ in first }
    let liveDefaults = Dictionary(live.defaults.map { (key($0), $0) }) { first, _ in first }
    for entryKey in Set(wantedDefaults.keys).union(liveDefaults.keys).sorted(by: {
      $0.lexicographicallyPrecedes($1)
    }) {
      guard let entry = wantedDefaults[entryKey] ?? liveDefaults[entryKey] else { continue }
      let add = Set(wantedDefaults[entryKey]?.privileges ?? []).subtracting(
        liveDefaults[entryKey]?.privileges ?? []
      ).sorted()
      let remove = Set(liveDefaults[entryKey]?.privileges ?? []).subtracting(
        wantedDefaults[entryKey]?.privileges ?? []
      ).sorted()
      let scope =
        "ALTER DEFAULT PRIVILEGES FOR ROLE \(SQL.identifier(entry.creator)) IN SCHEMA \(SQL.identifier(entry.schema))"
      let shown = "new \(entry.objects.rawValue) of \(entry.creator) in \(entry.schema)"
      if !add.isEmpty {
        statements.append(
          .init(
            "\(scope) GRANT \(add.joined(separator: ", ")) ON \(entry.objects.keyword) TO \(grantee)"
          ))
        changes.append("+\(add.joined(separator: ",")) on \(shown)")
      }
      if !remove.isEmpty {
        statements.append(
          .init(
            "\(scope) REVOKE \(remove.joined(separator: ", ")) ON \(entry.objects.keyword) FROM \(grantee)"
          ))
        changes.append("−\(remove.joined(separator: ",")) on \(shown)")
      }
    }
    guard !statements.isEmpty else { return nil }
    let hadAny = !live.onDatabase.isEmpty || !live.onSchemas.isEmpty || !live.defaults.isEmpty
    let wantsAny =
      !wanted.onDatabase.isEmpty || !wanted.onSchemas.isEmpty || !wanted.defaults.isEmpty
    let action: Action = !hadAny ? .create : !wantsAny ? .delete : .update
    return (
      action, PostgresOp(kind: .grant, database: grant.database, statements: statements), changes
    )
  }
}
