import InfraCore
import InfraEngine

/// The statements that make a role what its file says: `CREATE ROLE`, `ALTER ROLE`, memberships
/// granted and revoked, a password set by its verifier, or `DROP ROLE`.
struct RolePlan {
  let passwords: PasswordBox

  func plan(_ role: RoleSpec, absent: Bool, live: PostgresState.RoleState?) throws
    -> PostgresChange?
  {
    let name = SQL.identifier(role.name)
    if absent {
      guard live != nil else { return nil }
      return (.delete, PostgresOp(kind: .role, statements: [.init("DROP ROLE \(name)")]), [])
    }
    guard let live else {
      var clauses = RoleFlags.all.map {
        role.flags[keyPath: $0.path] ? $0.keyword : "NO" + $0.keyword
      }
      if role.connectionLimit != -1 { clauses.append("CONNECTION LIMIT \(role.connectionLimit)") }
      if let validUntil = role.validUntil {
        clauses.append("VALID UNTIL \(SQL.literal(validUntil))")
      }
      var statement = PostgresOp.Statement(
        "CREATE ROLE \(name) WITH " + clauses.joined(separator: " "))
      if let source = role.password {
        let verifier = try verifier(source)
        statement = .init(
          statement.sql + " PASSWORD \(SQL.literal(verifier))",
          shown: statement.shown + " PASSWORD '(sensitive)'")
      }
      let memberships = role.memberOf.map {
        PostgresOp.Statement("GRANT \(SQL.identifier($0)) TO \(name)")
      }
      var op = PostgresOp(kind: .role, statements: [statement] + memberships)
      (op.role, op.memberOf) = (role.name, role.memberOf)
      return (.create, op, [])
    }

    var changes: [String] = []
    var clauses: [String] = []
    for flag in RoleFlags.all where role.flags[keyPath: flag.path] != live.flags[keyPath: flag.path]
    {
      let wanted = role.flags[keyPath: flag.path]
      clauses.append(wanted ? flag.keyword : "NO" + flag.keyword)
      changes.append("\(flag.key) \(!wanted) → \(wanted)")
    }
    if role.connectionLimit != live.connectionLimit {
      clauses.append("CONNECTION LIMIT \(role.connectionLimit)")
      changes.append("connection_limit \(live.connectionLimit) → \(role.connectionLimit)")
    }
    let expiry = { (value: String?) in value ?? "infinity" }
    if expiry(role.validUntil) != expiry(live.validUntil) {
      clauses.append("VALID UNTIL \(SQL.literal(expiry(role.validUntil)))")
      changes.append("valid_until \(expiry(live.validUntil)) → \(expiry(role.validUntil))")
    }
    var statements: [PostgresOp.Statement] = []
    if !clauses.isEmpty {
      statements.append(.init("ALTER ROLE \(name) WITH " + clauses.joined(separator: " ")))
    }
    if let source = role.password, let state = live.password, state != "matches" {
      if state == "unreadable" {
        throw PostgresPlanner.Problem(
          message:
            "its password cannot be compared: the connecting role may not read password verifiers (pg_authid); connect as a superuser, e.g. with the connector's `sudo_user: postgres`"
        )
      }
      let verifier = try verifier(source)
      statements.append(
        .init(
          "ALTER ROLE \(name) PASSWORD \(SQL.literal(verifier))",
          shown: "ALTER ROLE \(name) PASSWORD '(sensitive)'"))
      changes.append(state == "none" ? "password set (sensitive)" : "password changed (sensitive)")
    }
    let wanted = Set(role.memberOf)
    let has = Set(live.memberOf)
    for group in wanted.subtracting(has).sorted() {
      statements.append(.init("GRANT \(SQL.identifier(group)) TO \(name)"))
      changes.append("member of \(group)")
    }
    for group in has.subtracting(wanted).sorted() {
      statements.append(.init("REVOKE \(SQL.identifier(group)) FROM \(name)"))
      changes.append("no longer member of \(group)")
    }
    var op = PostgresOp(kind: .role, statements: statements)
    (op.role, op.memberOf) = (role.name, role.memberOf)
    return (.update, op, changes)
  }

  /// A new verifier of the password `source` names; it is registered with the secret mask, as
  /// the password itself was.
  private func verifier(_ source: String) throws -> String {
    switch passwords.password(source) {
    case .success(let password):
      let verifier = PasswordVerifier.make(password)
      SecretMask.shared.register(verifier)
      return verifier
    case .failure(let failure):
      throw PostgresPlanner.Problem(
        message: "its password (\(source)) cannot be had: \(failure.message)"
          + (failure.hint.map { "; \($0)" } ?? ""))
    }
  }
}
