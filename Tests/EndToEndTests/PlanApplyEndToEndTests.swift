import Foundation
import InfraTestSupport
import Testing

/// The built `infra` binary against temporary repositories and target folders: nothing mocked.
@Suite struct PlanApplyEndToEndTests {
  let repo: TestRepository
  var root: URL { repo.root.url }
  var target: String { repo.target.path }

  init() throws {
    repo = try TestRepository("e2e")
    try repo.writeConfig()
  }

  @Test func createUpdateDeleteAndASecondApplyThatDoesNothing() async throws {
    var generator = SeededGenerator(seed: 99)
    let binary = Data((0..<20_000).map { _ in UInt8.random(in: 0...255, using: &generator) })
    try repo.resource("local/etc/motd", "hello\n")
    try repo.resource("local/home/me/.profile", "export PATH\n")
    try repo.resource("local/opt/tool.bin", data: binary)
    try repo.resource("local/etc/secret", "token\n")
    try repo.resource(
      "local/etc/.infra-attrs.yaml",
      "files:\n  secret: { mode: \"0600\" }\n  stale: { state: absent }\n")
    try repo.target.write("etc/stale", "remove me\n")

    let plan = try await Infra.run(["plan"], in: root)
    #expect(plan.code == 0, "\(plan)")
    #expect(plan.stdout.contains("Plan: 4 to create, 0 to update, 1 to delete, 0 unchanged."))
    #expect(plan.stdout.contains("+ test/files/local/opt/tool.bin on local"))
    #expect(plan.stdout.contains("create \(target)/opt/tool.bin: binary, 19.5 KiB, mode 0644"))
    #expect(plan.stdout.contains("+hello"))
    #expect(try await Infra.run(["plan", "--detailed-exitcode"], in: root).code == 2)
    #expect(repo.target.files() == ["etc/stale"], "plan must not change anything")

    let apply = try await Infra.run(["apply", "--yes"], in: root)
    #expect(apply.code == 0, "\(apply)")
    #expect(apply.stdout.contains("Apply complete: 5 changed, 0 failed, 0 unchanged."))
    #expect(
      apply.stdout.contains("test/files  local        5       0            0        0          0"))
    #expect(repo.target.files() == ["etc/motd", "etc/secret", "home/me/.profile", "opt/tool.bin"])
    #expect(try repo.target.read("opt/tool.bin") == binary)
    #expect(try repo.target.mode("etc/secret") == 0o600)

    let again = try await Infra.run(["apply", "--yes"], in: root)
    #expect(again.code == 0, "\(again)")
    #expect(again.stdout.contains("No changes: the hosts match the repository."))
    // The file declared absent is already gone: it counts as unchanged too.
    #expect(again.stdout.contains("Plan: 0 to create, 0 to update, 0 to delete, 5 unchanged."))
    #expect(!again.stdout.contains("Applying"))
    #expect(try await Infra.run(["plan", "--detailed-exitcode"], in: root).code == 0)

    // Update content and mode; the plan shows the diff and the mode change, apply does them.
    try repo.resource("local/etc/motd", "hello, world\n")
    try repo.resource("local/etc/.infra-attrs.yaml", "files:\n  secret: { mode: \"0640\" }\n")
    let update = try await Infra.run(["plan", "--detailed-exitcode"], in: root)
    #expect(update.code == 2)
    #expect(update.stdout.contains("update \(target)/etc/motd: content (+1 −1)"))
    #expect(update.stdout.contains("-hello\n    +hello, world"))
    #expect(update.stdout.contains("update \(target)/etc/secret: mode 0600 → 0640"))
    #expect(try await Infra.run(["apply", "--yes"], in: root).code == 0)
    #expect(try repo.target.readText("etc/motd") == "hello, world\n")
    #expect(try repo.target.mode("etc/secret") == 0o640)
    #expect(try await Infra.run(["plan", "--detailed-exitcode"], in: root).code == 0)
  }

  @Test func awkwardResourcePathsArriveUnchanged() async throws {
    let names = [
      "dir with space/it's \"quoted\"", "$(touch pwned)", "`id`", "-n", "new\nline",
      "tab\there", "semi;colon&amp|pipe", "ünïcödé ✓",
    ]
    for name in names { try repo.resource("local/\(name)", "\(name)\n") }
    let apply = try await Infra.run(["apply", "--yes"], in: root)
    #expect(apply.code == 0, "\(apply)")
    #expect(apply.stdout.contains("+ test/files/local/new\\nline on local"))
    for name in names {
      #expect(try repo.target.readText(name) == "\(name)\n", "\(name)")
    }
    #expect(repo.target.files().count == names.count)
    #expect(!FileManager.default.fileExists(atPath: root.appending(path: "pwned").path))
    #expect(try await Infra.run(["plan", "--detailed-exitcode"], in: root).code == 0)
  }

  @Test func exitCodesFollowTheDesign() async throws {
    try repo.resource("local/a", "a\n")
    #expect(try await Infra.run(["plan"], in: root).code == 0)
    #expect(try await Infra.run(["plan", "--detailed-exitcode"], in: root).code == 2)
    #expect(try await Infra.run(["plan", "--no-such-flag"], in: root).code == 64)
    #expect(try await Infra.run(["plan", "--parallelism", "0"], in: root).code == 64)
    #expect(try await Infra.run(["frobnicate"], in: root).code == 64)
    let outside = try TemporaryFolder("no-repo")
    let lost = try await Infra.run(["plan"], in: outside.url)
    #expect(lost.code == 1)
    #expect(
      lost.stderr.contains(
        "error: there is no infra.yaml in \(outside.path) or any folder above it"))
    let badPath = try await Infra.run(["plan", "/etc/passwd"], in: root)
    #expect(badPath.code == 1)
    #expect(badPath.stderr.contains("'/etc/passwd' is not inside resources/<prefix>/"))
    // A folder where a file should be: the plan fails for that resource and exits 1.
    try FileManager.default.createDirectory(
      at: repo.target.appending("a"), withIntermediateDirectories: true)
    let failed = try await Infra.run(["plan", "--detailed-exitcode"], in: root)
    #expect(failed.code == 1, "\(failed)")
    #expect(failed.stdout.contains("Could not plan:"))
  }

  @Test func anInfraYamlWithFiveErrorsReportsAllFiveAndAppliesNothing() async throws {
    try repo.root.write(
      "infra.yaml",
      """
      version: 1
      hots: {}
      hosts:
        local:
          connect: local
          groups: web
      prefixes:
        test:
          connectors:
            - name: files
              type: filez
              options: { root: \(target) }
            - name: files
              hosts: [nobody]
      """)
    try repo.resource("local/etc/motd", "hello\n")
    for command in [["apply", "--yes"], ["validate"], ["plan"]] {
      let run = try await Infra.run(command, in: root)
      #expect(run.code == 1, "\(run)")
      let expected = [
        "infra.yaml:2:1: error: unknown key 'hots' in the top level of infra.yaml",
        "infra.yaml:6:13: error: expected a list of names for 'groups', found a string",
        "infra.yaml:11:15: error: there is no connector type 'filez'",
        "infra.yaml:13:15: error: two connectors of prefix 'test' claim the folder resources/test/files/",
        "infra.yaml:14:17: error: connector 'files' names the unknown host 'nobody'",
      ]
      for line in expected {
        #expect(run.stderr.contains(line), "missing: \(line)\n\(run)")
      }
      #expect(run.stderr.contains("infra: stopped before touching any host (5 errors"))
      #expect(run.stdout.isEmpty)
    }
    #expect(repo.target.files().isEmpty)
  }

  @Test func applyAsksOnATerminalAndRefusesUnattended() async throws {
    try repo.resource("local/etc/motd", "hello\n")
    let unattended = try await Infra.run(["apply"], in: root)
    #expect(unattended.code == 1)
    #expect(
      unattended.stderr.contains(
        "infra apply asks for confirmation, but standard input is not a terminal"))
    #expect(repo.target.files().isEmpty)

    let declined = try await Infra.runOnTerminal(["apply"], in: root, answer: "no")
    #expect(declined.code == 1, "\(declined)")
    #expect(declined.stdout.contains("Apply these changes? Only 'yes' is accepted:"))
    #expect(declined.stdout.contains("Apply cancelled; nothing was changed."))
    #expect(repo.target.files().isEmpty)

    let accepted = try await Infra.runOnTerminal(["apply"], in: root, answer: "yes")
    #expect(accepted.code == 0, "\(accepted)")
    #expect(accepted.stdout.contains("Apply complete: 1 changed"))
    #expect(try repo.target.readText("etc/motd") == "hello\n")
  }

  @Test func jsonPlansAreVersionedAndParse() async throws {
    try repo.resource("local/etc/motd", "hello\n")
    let run = try await Infra.run(["plan", "--json"], in: root)
    #expect(run.code == 0, "\(run)")
    let object = try #require(
      try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
    #expect(object["format_version"] as? String == "1.0")
    let changes = try #require(object["changes"] as? [[String: Any]])
    #expect(changes.map { $0["address"] as? String } == ["files/local/etc/motd"])
    #expect(changes.first?["action"] as? String == "create")
    #expect((object["summary"] as? [String: Int])?["create"] == 1)
  }

  @Test func pathsFromAnyFolderLimitWhatIsPlanned() async throws {
    try repo.resource("local/a/one", "1\n")
    try repo.resource("local/b/two", "2\n")
    let limited = try await Infra.run(["plan", "resources/test/files/local/a"], in: root)
    #expect(limited.stdout.contains("Plan: 1 to create"), "\(limited)")
    #expect(limited.stdout.contains("local/a/one"))
    let inside = root.appending(path: "resources/test/files/local")
    let fromSubfolder = try await Infra.run(["apply", "--yes", "b"], in: inside)
    #expect(fromSubfolder.code == 0, "\(fromSubfolder)")
    #expect(repo.target.files() == ["b/two"])
    let byAddress = try await Infra.run(
      ["-C", root.path, "plan", "test/files/local/a/one"], in: URL(fileURLWithPath: "/"))
    #expect(
      byAddress.stdout.contains("Plan: 1 to create, 0 to update, 0 to delete, 0 unchanged."),
      "\(byAddress)")
  }

  /// A mistyped path is an error, not "No changes": in CI it would read as no drift.
  @Test func aPathThatSelectsNothingIsAnErrorWithTheClosestName() async throws {
    try repo.resource("local/etc/motd", "hello\n")
    for command in [["plan", "--detailed-exitcode"], ["apply", "--yes"], ["pull"]] {
      let (typo, usage) = try await Infra.measured(
        command + ["resources/test/filez/local"], in: root)
      #expect(typo.code == 1, "\(typo)")
      #expect(usage.isSmall, "\(usage)")
      #expect(
        typo.stderr.contains(
          "error: 'resources/test/filez/local' selects no resource\n  hint: did you mean 'resources/test/files'? under resources/test/ there are: files"
        ), "\(typo)")
      #expect(!typo.stdout.contains("No changes"), "\(typo)")
    }
    let deeper = try await Infra.run(["plan", "test/files/local/etc/mtod"], in: root)
    #expect(deeper.code == 1, "\(deeper)")
    #expect(
      deeper.stderr.contains("did you mean 'resources/test/files/local/etc/motd'?"), "\(deeper)")
    #expect(!repo.target.exists("etc/motd"), "nothing was applied")
    let connector = try await Infra.run(["import", "--connector", "test/filez"], in: root)
    #expect(connector.code == 1, "\(connector)")
    #expect(
      connector.stderr.contains(
        "error: there is no connector 'test/filez' in infra.yaml\n  hint: did you mean 'test/files'? connectors: test/files"
      ), "\(connector)")
    for command in [["run", "lokal", "--", "true"], ["import", "--host", "lokal"]] {
      let (host, usage) = try await Infra.measured(command, in: root)
      #expect(host.code == 1, "\(host)")
      #expect(usage.isSmall, "\(usage)")
      #expect(
        host.stderr.contains(
          "error: there is no host 'lokal' in infra.yaml\n  hint: did you mean 'local'?"),
        "\(host)")
    }
  }

  @Test func validateHostsAndConnectorsDescribeTheRepository() async throws {
    try repo.resource("local/etc/motd", "hello\n")
    try repo.resource("local/etc/motd~", "backup\n")
    let validate = try await Infra.run(["validate"], in: root)
    #expect(validate.code == 0, "\(validate)")
    #expect(
      validate.stdout.contains(
        "Valid: infra.yaml, 1 host, 1 connector, 1 resource file declaring 1 resource (1 warning).")
    )
    #expect(
      validate.stderr.contains(
        "warning: resources/test/files/local/etc/motd~ is not claimed by connector 'files': it looks like an editor's backup file"
      ))

    let hosts = try await Infra.run(["hosts"], in: root)
    #expect(
      hosts.stdout == "HOST   CONNECT  GROUPS     SUDO\nlocal  local    @web @all  -\n", "\(hosts)")

    let connectors = try await Infra.run(["connectors"], in: root)
    #expect(connectors.code == 0)
    #expect(
      connectors.stdout.contains(
        "test    files  files  all    resources/test/files/      1          1"))
    #expect(
      connectors.stdout.contains(
        "root        string   \"/\"      folder on every host that resource paths are relative to"))
  }

  @Test func verboseLogsWhatRanOnEachHostToStandardError() async throws {
    try repo.resource("local/etc/motd", "hello\n")
    let run = try await Infra.run(["plan", "-v"], in: root)
    #expect(run.code == 0, "\(run)")
    #expect(run.stderr.contains("debug infra.transport: host=local"))
    #expect(run.stderr.contains("run exited 0 after"))
    #expect(run.stderr.contains("debug infra.engine: connector=test/files host=local"))
    #expect(!run.stdout.contains("debug"))
    #expect(!(try await Infra.run(["plan"], in: root).stderr.contains("debug")))
  }

  /// The demo at the top of this repository stays valid and plans without failures.
  @Test func theDemoRepositoryPlans() async throws {
    let validate = try await Infra.run(["validate"], in: Infra.projectRoot)
    #expect(validate.code == 0, "\(validate)")
    let plan = try await Infra.run(["plan", "--json"], in: Infra.projectRoot)
    #expect(plan.code == 0, "\(plan)")
    let object = try #require(
      try JSONSerialization.jsonObject(with: Data(plan.stdout.utf8)) as? [String: Any])
    #expect((object["failures"] as? [Any])?.isEmpty == true)
  }
}
