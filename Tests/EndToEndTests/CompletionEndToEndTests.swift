import Foundation
import InfraTestSupport
import Testing

/// Shell completion of what the repository has: hosts and @groups for `--limit` and the host
/// arguments, resource files and folders for paths; the scripts call `infra` back for them.
@Suite struct CompletionEndToEndTests {
  let repo: TestRepository

  init() throws {
    repo = try TestRepository("completion")
    try repo.writeConfig(extraHosts: "  db1:\n    connect: local\n    groups: [db]")
    try repo.resource("local/etc/motd", "hello\n")
    try repo.resource("@db/etc/my.cnf", "[mysqld]\n")
  }

  /// What the shell would offer for `word`, the argument `name` of `command`.
  func complete(_ command: [String], _ name: String, _ word: String, in folder: URL? = nil)
    async throws -> [String]
  {
    let run = try await Infra.run(
      ["---completion"] + command + ["--", name, "0", String(word.count), word],
      in: folder ?? repo.root.url)
    #expect(run.code == 0, "\(run)")
    return run.stdout.split(separator: "\n").map(String.init)
  }

  @Test func hostsGroupsAndResourcePathsAreCompleted() async throws {
    #expect(try await complete(["plan"], "--limit", "") == ["local", "db1", "@all", "@db", "@web"])
    #expect(try await complete(["apply"], "--limit", "@w") == ["@web"])
    #expect(try await complete(["plan"], "--limit", "local,d") == ["local,db1"])
    #expect(try await complete(["run"], "positional@0", "d") == ["db1"])
    #expect(try await complete(["unlock"], "positional@0", "@") == ["@all", "@db", "@web"])

    #expect(try await complete(["plan"], "positional@0", "res") == ["resources/"])
    #expect(
      try await complete(["plan"], "positional@0", "resources/test/files/")
        == ["resources/test/files/@db/", "resources/test/files/local/"])
    #expect(
      try await complete(["pull"], "positional@0", "resources/test/files/local/etc/m")
        == ["resources/test/files/local/etc/motd"])
    // Outside resources/, only the way there.
    try repo.root.write("notes.txt", "x\n")
    #expect(try await complete(["plan"], "positional@0", "n").isEmpty)

    // From another folder, with -C.
    let elsewhere = try TemporaryFolder("completion-elsewhere")
    let hosts = try await complete(
      ["plan"], "--limit", "", in: elsewhere.url)
    #expect(hosts.isEmpty, "\(hosts)")
    let named = try await Infra.run(
      ["---completion", "plan", "--", "--limit", "2", "0", "-C", repo.root.path, ""],
      in: elsewhere.url)
    #expect(named.stdout.split(separator: "\n").first == "local", "\(named)")

    let script = try await Infra.run(["--generate-completion-script", "bash"], in: repo.root.url)
    #expect(
      script.code == 0 && script.stdout.contains("---completion"), "\(script.stdout.prefix(300))")
  }
}
