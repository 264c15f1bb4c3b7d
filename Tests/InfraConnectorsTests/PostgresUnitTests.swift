import Foundation
import Testing

@testable import InfraConnectors

/// The pieces of the postgres connector that decide what reaches the server: verifiers
/// computed as PostgreSQL computes them, and quoting that keeps any name a name.
@Suite struct PostgresUnitTests {
  /// Verifiers PostgreSQL 15 stored for these passwords (`CREATE ROLE … PASSWORD`).
  @Test(arguments: [
    (
      "oracle1", "correct horse battery staple",
      "SCRAM-SHA-256$4096:XjiYyeWDcVilb9cQqAWXvg==$qyRekELybEo+jZjAhIzJ7bQHA7n7jSUfoXW0NAU6lrk=:yUAcGaCIydlcIecMq8KMrZrr+OYLlGyTB7iBmC2VY2E="
    ),
    // Not ASCII: SASLprep normalizes the fullwidth letters to ASCII first.
    (
      "oracle2", "ｐａｓｓ wörd",
      "SCRAM-SHA-256$4096:dmzlgeb+Gg6iPNINOR8+Mg==$NXxxoTMZqap1SO1nqKJ83uxYmRPazOkxJCTFRMdT1zw=:rtPKcqUjQ+PJFbLDveLIMBmpBV8FPZhWv98+xOg3W30="
    ),
    ("oracle3", "old-style", "md55ae8e51df0cc8dd9b0d8213e0ccc4cc7"),
  ])
  func passwordsAreComparedByPostgreSQLsOwnVerifiers(
    role: String, password: String, stored: String
  ) {
    #expect(PasswordVerifier.matches(password, role: role, stored: stored) == true)
    #expect(PasswordVerifier.matches(password + "x", role: role, stored: stored) == false)
    #expect(PasswordVerifier.matches(password, role: role, stored: "SCRAM-SHA-256$garbage") == nil)
  }

  @Test func aNewVerifierHasItsOwnSaltAndVerifiesItsPassword() throws {
    let first = PasswordVerifier.make("s3cret")
    let second = PasswordVerifier.make("s3cret")
    #expect(first != second)
    let parsed = try #require(PasswordVerifier.parse(first))
    #expect(parsed.iterations == 4096 && parsed.salt.count == 16)
    #expect(PasswordVerifier.matches("s3cret", role: "any", stored: first) == true)
    #expect(!first.contains("s3cret"))
  }

  @Test func namesAreQuotedForEachPlaceTheyGo() {
    let name = #"a "b"; DROP TABLE x;-- it's \ here"#
    #expect(SQL.identifier(name) == #""a ""b""; DROP TABLE x;-- it's \ here""#)
    #expect(SQL.literal(name) == #"'a "b"; DROP TABLE x;-- it''s \ here'"#)
    #expect(SQL.grantee("public") == "PUBLIC")
    #expect(SQL.grantee("Public") == #""Public""#)
    // psql undoes the single quotes, then the double quotes; the connection string its
    // own quotes and backslashes.
    #expect(
      SQL.connect(to: name)
        == #"\connect -reuse-previous=on '"dbname=''a ""b""; DROP TABLE x;-- it\\''s \\\\ here''"'"#
    )
  }

  @Test func namesPostgreSQLWouldCutOrRefuseAreRefused() {
    #expect(PostgresNames.problem(with: String(repeating: "é", count: 32)) != nil)
    #expect(PostgresNames.problem(with: String(repeating: "e", count: 63)) == nil)
    #expect(PostgresNames.problem(with: "a\u{0}b") != nil)
    #expect(PostgresNames.roleProblem(with: "pg_read_all_data") != nil)
    #expect(PostgresNames.roleProblem(with: "PUBLIC") != nil)
    #expect(PostgresNames.roleProblem(with: "app_owner") == nil)
  }

  @Test func rolesJoinTheRolesTheyAreMadeMembersOfAfterThoseExist() {
    func role(_ name: String, _ groups: [String]) -> PostgresOp {
      var op = PostgresOp(kind: .role, statements: [.init("CREATE ROLE \(name)")])
      (op.role, op.memberOf) = (name, groups)
      return op
    }
    let grant = PostgresOp(kind: .grant, statements: [.init("GRANT")])
    let database = PostgresOp(kind: .database, statements: [.init("CREATE DATABASE")])
    let ops = [grant, role("a", ["c"]), database, role("b", []), role("c", ["b"])]
    let ordered = PostgresOp.ordered(ops, op: { $0 }, deleting: { _ in false })
    #expect(ordered.map { $0.role ?? "\($0.kind)" } == ["b", "c", "a", "database", "grant"])
    let drops = PostgresOp.ordered(ops, op: { $0 }, deleting: { _ in true })
    #expect(drops.map { $0.role ?? "\($0.kind)" }.prefix(2) == ["grant", "database"])
  }
}
