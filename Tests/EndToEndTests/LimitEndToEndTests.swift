import Foundation
import InfraTestSupport
import Testing

/// `--limit HOST|@group` (Ansible's `--limit`): plan, apply, pull and import work on those hosts
/// alone; a saved plan records its limit; a limit that matches nothing, or leaves nothing to
/// plan, is an error.
@Suite struct LimitEndToEndTests {
  let repo: TestRepository

  init() throws {
    repo = try TestRepository("limit")
    // Both hosts are this machine; each has a file of its own, and both get @all's.
    try repo.writeConfig(extraHosts: "  db1:\n    connect: local\n    groups: [db]")
    try repo.resource("local/web.txt", "web\n")
    try repo.resource("db1/db.txt", "db\n")
    try repo.resource("@all/common.txt", "common\n")
  }

  func infra(_ arguments: [String]) async throws -> InfraRun {
    try await Infra.run(arguments, in: repo.root.url)
  }

  @Test func aLimitPlansAndAppliesThoseHostsAlone() async throws {
    let web = try await infra(["plan", "--limit", "local"])
    #expect(web.code == 0, "\(web)")
    #expect(web.stdout.contains("test/files/local/web.txt on local"))
    #expect(web.stdout.contains("test/files/@all/common.txt on local"))
    #expect(!web.stdout.contains("on db1"), "\(web)")
    #expect(web.stdout.contains("Plan: 2 to create"), "\(web)")

    let group = try await infra(["plan", "--limit", "@db"])
    #expect(group.stdout.contains("test/files/db1/db.txt on db1"))
    #expect(!group.stdout.contains("on local"), "\(group)")
    for both in [["--limit", "local,db1"], ["--limit", "local", "--limit", "@db"]] {
      let plan = try await infra(["plan"] + both)
      #expect(plan.stdout.contains("Plan: 4 to create"), "\(both): \(plan)")
    }

    // Saved with its limit, which the apply shows, and which cannot be changed at apply time.
    let outputs = try TemporaryFolder("limit-saved")
    let saved = outputs.appending("saved.plan").path
    #expect(try await infra(["plan", "--limit", "@web", "--out", saved]).code == 0)
    #expect(try String(contentsOfFile: saved, encoding: .utf8).contains(#""limit" : ["#))
    let markdown = try await infra(["show", "--markdown", saved])
    #expect(markdown.stdout.contains("limited to `@web`"), "\(markdown)")
    let retargeted = try await infra(["apply", saved, "--limit", "db1"])
    #expect(retargeted.code == 64, "\(retargeted)")
    let apply = try await infra(["apply", saved])
    #expect(apply.code == 0, "\(apply)")
    #expect(apply.stdout.contains(", limited to @web):"), "\(apply)")
    #expect(repo.target.exists("web.txt") && !repo.target.exists("db.txt"))

    let rest = try await infra(["apply", "--yes", "--limit", "db1"])
    #expect(rest.code == 0, "\(rest)")
    #expect(try repo.target.readText("db.txt") == "db\n")
    #expect(try await infra(["plan", "--detailed-exitcode"]).code == 0)

    // The run records keep the command line, limit included.
    let runs = repo.root.appending(".infra/runs").path
    let commands = try FileManager.default.contentsOfDirectory(atPath: runs).compactMap {
      try? String(contentsOfFile: runs + "/" + $0 + "/command", encoding: .utf8)
    }
    #expect(commands.contains { $0.contains("apply --yes --limit db1") }, "\(commands)")
    withExtendedLifetime(outputs) {}
  }

  @Test func pullAndImportKeepToTheLimit() async throws {
    #expect(try await infra(["apply", "--yes"]).code == 0)
    try repo.target.write("web.txt", "changed by hand\n")
    try repo.target.write("db.txt", "changed by hand\n")
    let pull = try await infra(["pull", "resources/test/files", "--limit", "db1"])
    #expect(pull.code == 0, "\(pull)")
    #expect(try repo.root.readText("resources/test/files/db1/db.txt") == "changed by hand\n")
    #expect(try repo.root.readText("resources/test/files/local/web.txt") == "web\n")

    let nothing = try await infra(["pull", "resources/test/files/local", "--limit", "db1"])
    #expect(nothing.code == 1, "\(nothing)")
    #expect(
      nothing.stderr.contains("no resource matches resources/test/files/local on --limit db1"))

    let disjoint = try await infra(["import", "--host", "local", "--limit", "@db"])
    #expect(disjoint.code == 1, "\(disjoint)")
    #expect(disjoint.stderr.contains("--host and --limit have no host in common"), "\(disjoint)")
  }

  @Test func aLimitThatMatchesNothingIsAnError() async throws {
    let unknown = try await infra(["plan", "--limit", "web9"])
    #expect(unknown.code == 1, "\(unknown)")
    #expect(unknown.stderr.contains("there is no host 'web9' in infra.yaml"), "\(unknown)")
    let group = try await infra(["plan", "--limit", "@nope"])
    #expect(group.stderr.contains("there is no group '@nope' in infra.yaml"), "\(group)")
    let empty = try await infra(["plan", "resources/test/files/db1", "--limit", "local"])
    #expect(empty.code == 1, "\(empty)")
    #expect(
      empty.stderr.contains(
        "--limit local leaves nothing to plan: no selected resource is on that host"), "\(empty)")
    #expect(!repo.root.exists(".infra/runs"), "a run started although the limit was wrong")
  }
}
