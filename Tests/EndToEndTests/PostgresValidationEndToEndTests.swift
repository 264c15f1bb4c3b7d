import Foundation
import InfraTestSupport
import Testing

/// Mistakes in postgres resource files, each reported by `infra validate` at its file, line
/// and column with what to do, all in one pass and without touching a server.
@Suite struct PostgresValidationEndToEndTests {
  @Test func everyMistakeIsReportedWhereItIs() async throws {
    let repo = try TemporaryFolder("postgres-validate")
    try repo.write(
      "infra.yaml",
      """
      version: 1
      hosts:
        db: { connect: local }
      prefixes:
        main:
          connectors:
            - name: postgres
              options: { host: 127.0.0.1, port: 1 }
      """)
    let files = [
      "roles/app.yaml": "logn: true\n",
      "roles/pg_monitor.yaml": "login: true\n",
      "roles/clear.yaml": "password: hunter2-in-clear\n",
      "roles/gone.yaml": "state: gone\n",
      "roles/soon.yaml": "valid_until: next week\n",
      "roles/long.yaml": "name: \(String(repeating: "n", count: 64))\n",
      "roles/one.yaml": "name: same\n",
      "roles/two.yaml": "name: same\n",
      "grants/app/app.yaml": "on_database: [CONECT]\n",
      "grants/app/other.yaml": "default_privileges:\n  - { for_role: app, tables: [SELECT] }\n",
      "schemas/app/s.yaml": "owner: [x]\n",
      "databases/notes.txt": "x\n",
      "tables/t.yaml": "a: 1\n",
      "databases/.gitkeep": "",
    ]
    for (path, content) in files {
      try repo.write("resources/main/postgres/db/\(path)", content)
    }
    let run = try await Infra.run(["validate"], in: repo.url)
    #expect(run.code == 1, "\(run)")
    let base = "resources/main/postgres/db/"
    for expected in [
      "\(base)roles/app.yaml:1:1: error: unknown key 'logn' in a role file",
      "did you mean 'login'?",
      "\(base)roles/pg_monitor.yaml: error: names starting with 'pg_' are PostgreSQL's own roles",
      "\(base)roles/clear.yaml:1:11: error: 'password' must name where the password comes from",
      "`password: {file: secrets/NAME.age}`",
      "\(base)roles/gone.yaml:1:8: error: 'state' must be 'present' or 'absent', not 'gone'",
      "\(base)roles/soon.yaml:1:14: error: 'valid_until' must be a date or a UTC time",
      "\(base)roles/long.yaml:1:7: error: '\(String(repeating: "n", count: 64))' is longer than PostgreSQL's 63 bytes",
      "\(base)roles/two.yaml: error: \(base)roles/two.yaml and \(base)roles/one.yaml both declare role \"same\"",
      "\(base)grants/app/app.yaml:1:15: error: 'CONECT' is not a privilege on database",
      "hint: privileges on database: CONNECT, CREATE, TEMPORARY, or ALL",
      "\(base)grants/app/other.yaml:2:5: error: an entry of 'default_privileges' needs 'schema'",
      "\(base)schemas/app/s.yaml:1:8: error: expected a string for 'owner', found a list",
      "\(base)databases/notes.txt: error: \(base)databases/notes.txt is not a YAML file",
      "name it notes.yaml",
      "\(base)tables/t.yaml: error: \(base)tables/t.yaml is not where the postgres connector looks",
      "(12 errors, 1 warning)",
    ] {
      #expect(run.stderr.contains(expected) || run.stdout.contains(expected), "\(expected)\n\(run)")
    }
    // A password written in the file is refused without being repeated.
    #expect(!(run.stdout + run.stderr).contains("hunter2-in-clear"))
    // A note is not managed, and said so, as every file no connector claims is.
    #expect(
      (run.stdout + run.stderr).contains(
        "\(base)databases/.gitkeep: warning: \(base)databases/.gitkeep is not claimed by connector 'postgres'"
      ))
  }
}
