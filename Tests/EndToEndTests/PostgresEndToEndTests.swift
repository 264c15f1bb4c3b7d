import Foundation
import InfraTestSupport
import Testing

/// The postgres connector against a real PostgreSQL server that the test starts: every object
/// kind created, altered and dropped, names that need quoting, privileges granted and revoked,
/// default privileges, a second apply with nothing to do, and no password in any output.
///
/// One at a time: each test starts a server of its own, and eight starting at once on two cores
/// slowed every other test of the suite.
@Suite(.serialized) struct PostgresEndToEndTests {
  static let weirdRole = #""weird name"; DROP TABLE x;--"#
  static let weirdDatabase = #"db "x"; it's \ DROP TABLE x;--"#
  static let weirdSchema = #"odd "schema"; DROP TABLE x;--"#

  @Test func everyObjectKindIsCreatedAlteredAndDropped() async throws {
    let server = try await PostgresServer.start(passwordLogins: ["app"])
    var fixture = try PostgresFixture(server: server)
    // A table the hostile names would drop, if they were ever read as SQL.
    try await server.sql("CREATE TABLE x (id int)")
    let first = fixture.newPassword("first")
    try fixture.sealPassword(first, as: "app")
    try writeFirstFiles(fixture)

    let plan = try await fixture.infra(["plan", "--events", fixture.events("plan")])
    #expect(plan.code == 0, "\(plan)")
    for shown in [
      #"CREATE ROLE "app" WITH NOSUPERUSER NOCREATEDB NOCREATEROLE INHERIT LOGIN NOREPLICATION NOBYPASSRLS CONNECTION LIMIT 5 PASSWORD '(sensitive)';"#,
      #"CREATE ROLE """weird name""; DROP TABLE x;--" WITH"#,
      #"CREATE DATABASE "app" OWNER "app" TEMPLATE "template0" ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8';"#,
      #"CREATE DATABASE "db ""x""; it's \ DROP TABLE x;--" OWNER """weird name""; DROP TABLE x;--";"#,
      #"CREATE SCHEMA "odd ""schema""; DROP TABLE x;--" AUTHORIZATION """weird name""; DROP TABLE x;--";"#,
      #"CREATE SCHEMA "reports" AUTHORIZATION "app";"#,
      #"GRANT "app" TO "reader";"#, #"GRANT CONNECT ON DATABASE "app" TO "reader";"#,
      #"ALTER DEFAULT PRIVILEGES FOR ROLE "app" IN SCHEMA "reports" GRANT SELECT ON TABLES TO "reader";"#,
      #"REVOKE CONNECT, TEMPORARY ON DATABASE "app" FROM PUBLIC;"#,
      "Plan: 8 to create, 0 to update, 1 to delete",
    ] {
      #expect(plan.stdout.contains(shown), "\(shown)\n\(plan)")
    }
    #expect(try fixture.roundTrips(fixture.events("plan"))[PostgresFixture.connector] == 1)

    let apply = try await fixture.infra([
      "-v", "apply", "--yes", "--events", fixture.events("apply"),
    ])
    #expect(apply.code == 0, "\(apply)")
    #expect(
      try await server.sql("SELECT rolcanlogin, rolconnlimit FROM pg_roles WHERE rolname = 'app'")
        == "t|5")
    #expect(
      try await server.sql("SELECT current_user", user: "app", database: "app", password: first)
        == "app")
    #expect(
      try await server.sql(
        "SELECT pg_has_role('reader', 'app', 'MEMBER'), has_database_privilege('reader', 'app', 'CONNECT')"
      )
        == "t|t")
    #expect(
      try await server.sql("SELECT datacl::text FROM pg_database WHERE datname = 'app'").contains(
        "reader=c/"))
    #expect(
      !(try await server.sql("SELECT datacl::text FROM pg_database WHERE datname = 'app'"))
        .contains(
          "=Tc/"))
    #expect(
      try await server.sql(
        "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = \(literal(Self.weirdDatabase))"
      )
        == Self.weirdRole)
    #expect(
      try await server.sql(
        "SELECT nspname, pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = 'reports'",
        database: "app")
        == "reports|app")
    #expect(
      try await server.sql(
        "SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = \(literal(Self.weirdSchema))",
        database: Self.weirdDatabase) == Self.weirdRole)
    #expect(
      try await server.sql("SELECT defaclacl::text FROM pg_default_acl", database: "app").contains(
        "reader=r/app"))
    #expect(
      try await server.sql("SELECT count(*) FROM x") == "0",
      "the table the names would drop is there")

    let again = try await fixture.infra(["plan", "--detailed-exitcode"])
    #expect(again.code == 0, "a second apply would change something:\n\(again)")

    try await alterEverything(&fixture)
    try await dropEverything(&fixture)
    try await fixture.expectNoPasswordInAnyOutput(atLeast: 15)
  }

  private func writeFirstFiles(_ fixture: PostgresFixture) throws {
    try fixture.write(
      "roles/app.yaml", "login: true\nconnection_limit: 5\npassword: { file: secrets/app.age }\n")
    try fixture.write("roles/reader.yaml", "login: true\nmember_of: [app]\n")
    try fixture.write("roles/weird.yaml", "name: '\(Self.weirdRole)'\nlogin: true\n")
    try fixture.write("databases/app.yaml", "owner: app\nencoding: UTF8\nlocale: C.UTF-8\n")
    try fixture.write(
      "databases/weird.yaml", "name: \(yaml(Self.weirdDatabase))\nowner: \(yaml(Self.weirdRole))\n")
    try fixture.write(
      "schemas/weird/odd.yaml",
      "database: \(yaml(Self.weirdDatabase))\nname: \(yaml(Self.weirdSchema))\nowner: \(yaml(Self.weirdRole))\n"
    )
    try fixture.write("schemas/app/reports.yaml", "owner: app\n")
    try fixture.write(
      "grants/reader/app.yaml",
      """
      on_database: [CONNECT]
      on_schemas:
        reports: [USAGE]
      default_privileges:
        - { for_role: app, schema: reports, tables: [SELECT] }
      """)
    // Everyone's CONNECT and TEMPORARY, which a new database gives, taken back.
    try fixture.write("grants/public/app.yaml", "on_database: []\n")
  }

  private func alterEverything(_ fixture: inout PostgresFixture) async throws {
    let server = fixture.server
    let second = fixture.newPassword("second")
    try fixture.sealPassword(second, as: "app")
    try fixture.write(
      "roles/app.yaml",
      "login: true\ncreatedb: true\nconnection_limit: 10\nvalid_until: 2030-01-31\npassword: { file: secrets/app.age }\n"
    )
    try fixture.write("roles/reader.yaml", "login: true\n")
    try fixture.write(
      "databases/app.yaml", "owner: app\nencoding: UTF8\nlocale: C.UTF-8\nconnection_limit: 20\n")
    try fixture.write("schemas/app/reports.yaml", "owner: reader\n")
    try fixture.write(
      "grants/reader/app.yaml",
      """
      on_database: [CONNECT, TEMP]
      default_privileges:
        - { for_role: app, schema: reports, tables: [SELECT, INSERT], sequences: [USAGE] }
      """)
    try fixture.write("grants/public/app.yaml", "on_database: [CONNECT]\n")
    try fixture.write(
      "databases/weird.yaml", "name: \(yaml(Self.weirdDatabase))\nowner: app\n")

    let saved = fixture.outputs.appending("alter.plan").path
    let plan = try await fixture.infra(["plan", "--out", saved])
    #expect(plan.code == 0, "\(plan)")
    for shown in [
      #"ALTER ROLE "app" WITH CREATEDB CONNECTION LIMIT 10 VALID UNTIL '2030-01-31T00:00:00Z';"#,
      #"ALTER ROLE "app" PASSWORD '(sensitive)';"#, "password changed (sensitive)",
      #"REVOKE "app" FROM "reader";"#,
      #"ALTER DATABASE "app" CONNECTION LIMIT 20;"#,
      #"ALTER SCHEMA "reports" OWNER TO "reader";"#,
      #"GRANT TEMPORARY ON DATABASE "app" TO "reader";"#,
      #"ALTER DEFAULT PRIVILEGES FOR ROLE "app" IN SCHEMA "reports" GRANT INSERT ON TABLES TO "reader";"#,
      #"ALTER DEFAULT PRIVILEGES FOR ROLE "app" IN SCHEMA "reports" GRANT USAGE ON SEQUENCES TO "reader";"#,
      #"GRANT CONNECT ON DATABASE "app" TO PUBLIC;"#,
      #"ALTER DATABASE "db ""x""; it's \ DROP TABLE x;--" OWNER TO "app";"#,
    ] {
      #expect(plan.stdout.contains(shown), "\(shown)\n\(plan)")
    }
    for format in [["--json"], ["--markdown"]] {
      #expect(try await fixture.infra(["show"] + format + [saved]).code == 0)
    }
    let apply = try await fixture.infra(["-v", "apply", saved, "--events", fixture.events("alter")])
    #expect(apply.code == 0, "\(apply)")
    #expect(
      try await server.sql(
        "SELECT rolcreatedb, rolconnlimit, rolvaliduntil AT TIME ZONE 'UTC' FROM pg_roles WHERE rolname = 'app'"
      )
        == "t|10|2030-01-31 00:00:00")
    #expect(
      try await server.sql("SELECT current_user", user: "app", database: "app", password: second)
        == "app"
    )
    await #expect(throws: PostgresServerError.self) {
      try await server.sql("SELECT 1", user: "app", database: "app", password: fixture.passwords[0])
    }
    #expect(try await server.sql("SELECT pg_has_role('reader', 'app', 'MEMBER')") == "f")
    #expect(
      try await server.sql("SELECT has_database_privilege('reader', 'app', 'TEMPORARY')") == "t")
    #expect(
      try await server.sql("SELECT datacl::text FROM pg_database WHERE datname = 'app'").contains(
        "=c/"))
    #expect(
      try await server.sql("SELECT datconnlimit FROM pg_database WHERE datname = 'app'") == "20")
    #expect(
      try await server.sql(
        "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = \(literal(Self.weirdDatabase))"
      )
        == "app")
    // Reader owns the schema now: its privileges on it are an owner's, never revoked although
    // its grants file lists none.
    #expect(
      try await server.sql(
        "SELECT has_schema_privilege('reader', 'reports', 'USAGE')", database: "app")
        == "t")
    let again = try await fixture.infra(["plan", "--detailed-exitcode"])
    #expect(again.code == 0, "a second apply would change something:\n\(again)")
  }

  private func dropEverything(_ fixture: inout PostgresFixture) async throws {
    let server = fixture.server
    try fixture.write("grants/reader/app.yaml", "state: absent\n")
    try fixture.write("schemas/app/reports.yaml", "state: absent\n")
    try fixture.write("databases/weird.yaml", "name: \(yaml(Self.weirdDatabase))\nstate: absent\n")
    try fixture.write(
      "schemas/weird/odd.yaml",
      "database: \(yaml(Self.weirdDatabase))\nname: \(yaml(Self.weirdSchema))\nstate: absent\n")
    try fixture.write("roles/weird.yaml", "name: '\(Self.weirdRole)'\nstate: absent\n")
    try fixture.write("roles/reader.yaml", "state: absent\n")
    let plan = try await fixture.infra(["plan"])
    for shown in [
      #"DROP ROLE """weird name""; DROP TABLE x;--";"#, #"DROP ROLE "reader";"#,
      #"DROP DATABASE "db ""x""; it's \ DROP TABLE x;--";"#, #"DROP SCHEMA "reports";"#,
      #"DROP SCHEMA "odd ""schema""; DROP TABLE x;--";"#,
      #"REVOKE CONNECT, TEMPORARY ON DATABASE "app" FROM "reader";"#,
      #"ALTER DEFAULT PRIVILEGES FOR ROLE "app" IN SCHEMA "reports" REVOKE INSERT, SELECT ON TABLES FROM "reader";"#,
      #"ALTER DEFAULT PRIVILEGES FOR ROLE "app" IN SCHEMA "reports" REVOKE USAGE ON SEQUENCES FROM "reader";"#,
      "0 to create, 0 to update, 6 to delete",
    ] {
      #expect(plan.stdout.contains(shown), "\(shown)\n\(plan)")
    }
    let apply = try await fixture.infra(["apply", "--yes", "--events", fixture.events("drop")])
    #expect(apply.code == 0, "\(apply)")
    #expect(
      try await server.sql(
        "SELECT count(*) FROM pg_roles WHERE rolname IN ('reader', \(literal(Self.weirdRole)))")
        == "0")
    #expect(
      try await server.sql(
        "SELECT count(*) FROM pg_database WHERE datname = \(literal(Self.weirdDatabase))") == "0")
    #expect(
      try await server.sql(
        "SELECT count(*) FROM pg_namespace WHERE nspname = 'reports'", database: "app")
        == "0")
    #expect(try await server.sql("SELECT count(*) FROM pg_default_acl", database: "app") == "0")
    #expect(try await server.sql("SELECT count(*) FROM x") == "0")
    let again = try await fixture.infra(["plan", "--detailed-exitcode"])
    #expect(again.code == 0, "a second apply would change something:\n\(again)")
  }

  /// `text` as a YAML (JSON) double-quoted string.
  private func yaml(_ text: String) -> String {
    "\""
      + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(
        of: "\"", with: "\\\"") + "\""
  }

  private func literal(_ text: String) -> String {
    "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
  }
}
