import Foundation
import InfraTestSupport
import Testing

/// Import, round trips, a connecting role without rights, and a server reached over SSH.
extension PostgresEndToEndTests {
  /// A server set up by hand is imported into an empty repository: the files plan no change,
  /// and a role with a password says it was not imported.
  @Test func importedFilesPlanNoChange() async throws {
    let server = try await PostgresServer.start()
    var fixture = try PostgresFixture(server: server)
    let role = SQL.identifier(Self.weirdRole)
    let database = SQL.identifier(Self.weirdDatabase)
    for statement in [
      "CREATE ROLE owner_role LOGIN CREATEDB CONNECTION LIMIT 3 VALID UNTIL '2031-06-01 12:00:00+00'",
      "CREATE ROLE \(role) LOGIN PASSWORD 'imported-password-1'", "GRANT owner_role TO \(role)",
      "CREATE DATABASE \(database) OWNER owner_role ENCODING 'UTF8' TEMPLATE template0",
      "REVOKE TEMPORARY ON DATABASE \(database) FROM PUBLIC",
      "GRANT CREATE ON DATABASE \(database) TO \(role)",
    ] {
      try await server.sql(statement)
    }
    for statement in [
      "CREATE SCHEMA \"odd/schema\" AUTHORIZATION owner_role",
      "GRANT USAGE ON SCHEMA \"odd/schema\" TO \(role)",
      "ALTER DEFAULT PRIVILEGES FOR ROLE owner_role IN SCHEMA \"odd/schema\" GRANT SELECT, UPDATE ON TABLES TO \(role)",
      "ALTER DEFAULT PRIVILEGES FOR ROLE owner_role IN SCHEMA \"odd/schema\" GRANT EXECUTE ON FUNCTIONS TO PUBLIC",
    ] {
      try await server.sql(statement, database: Self.weirdDatabase)
    }
    let imported = try await fixture.infra(["import", "--events", fixture.events("import")])
    #expect(imported.code == 0, "\(imported)")
    let written = fixture.repo.files().filter { $0.hasPrefix("resources/") }
    #expect(written.contains("resources/main/postgres/db/roles/owner_role.yaml"), "\(written)")
    #expect(written.contains("resources/main/postgres/db/databases/postgres.yaml"), "\(written)")
    #expect(written.contains { $0.hasPrefix("resources/main/postgres/db/grants/public/") })
    #expect(written.count >= 10, "\(written)")
    let weird = try #require(
      written.first { path in
        (try? fixture.repo.readText(path))?.contains("weird name") == true
          && path.contains("/roles/")
      })
    let text = try fixture.repo.readText(weird)
    #expect(
      text.contains("member_of: [\"owner_role\"]") && text.contains("password: not imported"),
      "\(text)")
    let plan = try await fixture.infra(["plan", "--detailed-exitcode"])
    #expect(plan.code == 0, "imported files plan changes:\n\(plan)")
    #expect(plan.stdout.contains("\(written.count) unchanged"), "\(plan)")
    // A second import writes nothing over what is there.
    let twice = try await fixture.infra(["import"])
    #expect(twice.code == 0 && !twice.stdout.contains("wrote "), "\(twice)")
  }

  /// Reading the whole server is one psql call, whether a host has one object or sixty.
  @Test func oneReadPerServerWhateverTheNumberOfObjects() async throws {
    let server = try await PostgresServer.start()
    var fixture = try PostgresFixture(server: server)
    try fixture.write("roles/solo.yaml", "login: true\n")
    let one = try await fixture.infra(["plan", "--events", fixture.events("one")])
    #expect(one.code == 0, "\(one)")
    for index in 0..<20 {
      try fixture.write("roles/r\(index).yaml", "member_of: [solo]\n")
      try fixture.write("databases/d\(index % 4).yaml", "owner: solo\n")
      try fixture.write("schemas/d\(index % 4)/s\(index).yaml", "owner: r\(index)\n")
      try fixture.write(
        "grants/r\(index)/d\(index % 4).yaml",
        "on_database: [CONNECT]\non_schemas: { s\(index): [USAGE] }\n")
    }
    let many = try await fixture.infra(["plan", "--events", fixture.events("many")])
    #expect(many.code == 0 && many.stdout.contains("Plan: 65 to create"), "\(many)")
    for events in ["one", "many"] {
      #expect(
        try fixture.roundTrips(fixture.events(events))[PostgresFixture.connector] == 1, "\(events)")
    }
    let apply = try await fixture.infra(["apply", "--yes", "--events", fixture.events("apply")])
    #expect(apply.code == 0, "\(apply)")
    let again = try await fixture.infra([
      "plan", "--detailed-exitcode", "--events", fixture.events("again"),
    ])
    #expect(again.code == 0, "\(again)")
    #expect(try fixture.roundTrips(fixture.events("again"))[PostgresFixture.connector] == 1)
  }

  /// A connecting role that may not do what the plan asks: the apply fails with PostgreSQL's
  /// own words, and a password it cannot compare is a plan-time problem.
  @Test func aRoleWithoutRightsFailsWithPostgresOwnMessage() async throws {
    let server = try await PostgresServer.start()
    try await server.sql("CREATE ROLE limited LOGIN")
    var fixture = try PostgresFixture(
      server: server, options: "{ host: 127.0.0.1, port: \(server.port), user: limited }")
    try fixture.write("roles/newcomer.yaml", "login: true\n")
    let apply = try await fixture.infra(["apply", "--yes"])
    #expect(apply.code == 1, "\(apply)")
    #expect(apply.stdout.contains("failed: ERROR:  permission denied to create role"), "\(apply)")
    #expect(try await server.sql("SELECT count(*) FROM pg_roles WHERE rolname = 'newcomer'") == "0")

    fixture.environment["APP_PASSWORD"] = fixture.newPassword("env")
    try fixture.write("roles/newcomer.yaml", "login: true\npassword: { env: APP_PASSWORD }\n")
    try await server.sql("CREATE ROLE newcomer LOGIN")
    let plan = try await fixture.infra(["plan"])
    #expect(plan.code == 1, "\(plan)")
    #expect(plan.stdout.contains("its password cannot be compared"), "\(plan)")
    try await fixture.expectNoPasswordInAnyOutput(atLeast: 4)
  }

  /// Over SSH, psql runs on the host as its `postgres` user through sudo and reaches the
  /// server by its socket with peer authentication, as a host's administrator would.
  @Test func overSSHAsThePostgresUser() async throws {
    let server = try await PostgresServer.start()
    let ssh = try SSHServer()
    let asPostgres = geteuid() == 0
    let options =
      asPostgres
      ? "{ sudo_user: postgres, host: \(server.socketFolder), port: \(server.port) }"
      : "{ host: 127.0.0.1, port: \(server.port), user: postgres }"
    var fixture = try PostgresFixture(server: server, host: ssh.hostYAML("db"), options: options)
    fixture.environment["APP_PASSWORD"] = fixture.newPassword("ssh")
    try fixture.write("roles/remote.yaml", "login: true\npassword: { env: APP_PASSWORD }\n")
    try fixture.write("databases/remote.yaml", "owner: remote\n")
    let apply = try await fixture.infra(["-v", "apply", "--yes", "--events", fixture.events("ssh")])
    #expect(apply.code == 0, "\(apply)")
    #expect(
      try await server.sql(
        "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'remote'")
        == "remote")
    #expect(try fixture.roundTrips(fixture.events("ssh"))[PostgresFixture.connector] == 2)
    let again = try await fixture.infra(["plan", "--detailed-exitcode"])
    #expect(again.code == 0, "\(again)")
    try await fixture.expectNoPasswordInAnyOutput(atLeast: 6)
    withExtendedLifetime(ssh) {}
  }
}

/// Quoting as the tests write SQL by hand.
enum SQL {
  static func identifier(_ name: String) -> String {
    "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
  }
}
