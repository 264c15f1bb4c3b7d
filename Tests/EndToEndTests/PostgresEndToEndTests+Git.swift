import Foundation
import InfraTestSupport
import InfraTransport
import Testing

/// Drops reviewed as git deletions, and an op that fails half-way leaving nothing behind.
extension PostgresEndToEndTests {
  /// A role file deleted in git plans `DROP ROLE`, and its privileges file a `REVOKE`, in the
  /// order PostgreSQL needs; nothing else is touched.
  @Test func aFileDeletedInGitDropsItsObject() async throws {
    let server = try await PostgresServer.start()
    var fixture = try PostgresFixture(server: server)
    try fixture.write("roles/keeper.yaml", "login: true\n")
    try fixture.write("roles/leaver.yaml", "login: true\n")
    try fixture.write("databases/shop.yaml", "owner: keeper\n")
    try fixture.write("grants/leaver/shop.yaml", "on_database: [CONNECT, CREATE]\n")
    let repo = fixture.repo.path
    for arguments in [
      ["init", "-q"], ["add", "-A"],
      ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "objects"],
    ] {
      #expect(try await ChildProcess.runToEnd("/usr/bin/git", ["-C", repo] + arguments) == 0)
    }
    #expect(try await fixture.infra(["apply", "--yes"]).code == 0)
    #expect(
      try await server.sql("SELECT has_database_privilege('leaver', 'shop', 'CREATE')") == "t")

    #expect(
      try await ChildProcess.runToEnd(
        "/usr/bin/git",
        [
          "-C", repo, "rm", "-q", "resources/main/postgres/db/roles/leaver.yaml",
          "resources/main/postgres/db/grants/leaver/shop.yaml",
        ]) == 0)
    let plan = try await fixture.infra(["plan", "--changed"])
    #expect(plan.code == 0, "\(plan)")
    for shown in [
      #"delete role "leaver" (resources/main/postgres/db/roles/leaver.yaml was deleted in git)"#,
      #"REVOKE CONNECT, CREATE ON DATABASE "shop" FROM "leaver";"#, #"DROP ROLE "leaver";"#,
      "0 to create, 0 to update, 2 to delete",
    ] {
      #expect(plan.stdout.contains(shown), "\(shown)\n\(plan)")
    }
    let apply = try await fixture.infra(["apply", "--yes", "--changed"])
    #expect(apply.code == 0, "\(apply)")
    #expect(try await server.sql("SELECT count(*) FROM pg_roles WHERE rolname = 'leaver'") == "0")
    #expect(try await server.sql("SELECT count(*) FROM pg_roles WHERE rolname = 'keeper'") == "1")
    #expect(try await fixture.infra(["plan", "--detailed-exitcode"]).code == 0)
  }

  /// A role whose second statement fails is not created at all: each op is one transaction,
  /// and the ops before it stay applied.
  @Test func anOpThatFailsHalfWayLeavesNothingBehind() async throws {
    let server = try await PostgresServer.start()
    var fixture = try PostgresFixture(server: server)
    try fixture.write("roles/aaa.yaml", "login: true\n")
    try fixture.write("roles/half.yaml", "login: true\nmember_of: [no_such_group]\n")
    let apply = try await fixture.infra(["apply", "--yes"])
    #expect(apply.code == 1, "\(apply)")
    #expect(
      apply.stdout.contains(#"failed: ERROR:  role "no_such_group" does not exist"#), "\(apply)")
    #expect(try await server.sql("SELECT count(*) FROM pg_roles WHERE rolname = 'half'") == "0")
    #expect(try await server.sql("SELECT count(*) FROM pg_roles WHERE rolname = 'aaa'") == "1")
  }
}
