import Foundation
import InfraTestSupport
import InfraTransport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// External connectors: the example `connectors/crontab.py` (a real Python process speaking the
/// connector protocol through the SDK) planned and applied by the built binary, on this machine
/// and on the SSH test host through `host/run`.
@Suite struct ExternalConnectorEndToEndTests {
  let repo: TemporaryFolder
  var root: URL { repo.url }

  init() throws {
    repo = try TemporaryFolder("external")
    // The connector and its SDK, as a user's repository holds them.
    let connectors = Infra.projectRoot.appending(path: "connectors")
    for name in [
      "crontab.py", "infra_connector.py", "inventory_csv.py", "folder_transport.py",
      "json_settings.py",
    ] {
      _ = try repo.write(
        "connectors/\(name)",
        try String(contentsOf: connectors.appending(path: name), encoding: .utf8))
    }
  }

  /// One prefix `ops` with the example connector `connectors/<connector>.py`; `connectorLines`
  /// go on after its entry (more of its keys, or more connectors).
  func config(
    host: String = "  box: { connect: local }", connector: String = "crontab",
    connectorLines: String = "", locks: String? = nil
  ) throws {
    _ = try repo.write(
      "infra.yaml",
      """
      version: 1
      hosts:
      \(host)
      locks: { folder: \(locks ?? root.path + "/.infra/locks") }
      prefixes:
        ops:
          connectors:
            - name: \(connector)
              run: [python3, connectors/\(connector).py]
      \(connectorLines)
      """)
  }

  func crontab(_ arguments: [String]) throws -> (Int32, String) {
    let scratch = try TemporaryFolder("crontab")
    let code = try ChildProcess.run(
      "/usr/bin/crontab", arguments, stdout: scratch.appending("out").path,
      stderr: scratch.appending("out").path)
    return (code, try scratch.readText("out"))
  }

  @Test func aPythonConnectorPlansAppliesAndDeletesThroughGit() async throws {
    let user = SSHServer.sudoTargetUser  // root manages another user's crontab with -u
    _ = try? crontab(["-u", user, "-r"])
    try config(host: "  box: { connect: local }")
    _ = try repo.write(
      "resources/ops/crontab/box/\(user)", "MAILTO=\"\"\n*/5 * * * * /bin/true sweep\n")

    // A note in the connector's folder: its `filter` leaves it alone, and infra says so.
    _ = try repo.write("resources/ops/crontab/box/README.md", "# The crontabs of box\n")

    let plan = try await Infra.run(["plan", "--detailed-exitcode"], in: root)
    #expect(plan.code == 2, "\(plan)")
    #expect(
      plan.stderr.contains(
        "resources/ops/crontab/box/README.md: warning: resources/ops/crontab/box/README.md is not claimed by connector 'crontab': a note or an editor's file, not a user's crontab, so it is not managed"
      ), "\(plan)")
    #expect(plan.stdout.contains("+ ops/crontab/box/\(user) on box"))
    #expect(plan.stdout.contains("create the crontab of \(user): 1 entry"))
    #expect(plan.stdout.contains("+*/5 * * * * /bin/true sweep"))

    let apply = try await Infra.run(["apply", "--yes"], in: root)
    #expect(apply.code == 0, "\(apply)")
    #expect(try crontab(["-u", user, "-l"]) == (0, "MAILTO=\"\"\n*/5 * * * * /bin/true sweep\n"))
    #expect(try await Infra.run(["plan", "--detailed-exitcode"], in: root).code == 0)

    // A bad line is an error at its line, before any host is touched.
    _ = try repo.write("resources/ops/crontab/box/\(user)", "MAILTO=\"\"\nevery day: backup\n")
    let invalid = try await Infra.run(["plan"], in: root)
    #expect(invalid.code == 1)
    #expect(
      invalid.stderr.contains(
        "resources/ops/crontab/box/\(user):2:1: error: line 2 is neither an entry, a comment nor a variable"
      ), "\(invalid)")

    // Deleted in git: the crontab is removed.
    try git(["init", "-q"])
    _ = try repo.write("resources/ops/crontab/box/\(user)", "*/5 * * * * /bin/true sweep\n")
    try git(["add", "-A"])
    try git(["-c", "user.email=t@e", "-c", "user.name=t", "commit", "-q", "-m", "cron"])
    try git(["rm", "-q", "resources/ops/crontab/box/\(user)"])
    let delete = try await Infra.run(["apply", "--yes"], in: root)
    #expect(delete.code == 0, "\(delete)")
    #expect(delete.stdout.contains("- ops/crontab/box/\(user) on box"))
    #expect(delete.stdout.contains("remove the crontab of \(user)"))
    #expect(try crontab(["-u", user, "-l"]).0 != 0, "no crontab left")

    let connectors = try await Infra.run(["connectors"], in: root)
    #expect(connectors.stdout.contains("run: python3 connectors/crontab.py"), "\(connectors)")
    #expect(
      connectors.stdout.contains("command  string  \"crontab\"  the crontab program on the hosts"))
  }

  @Test func aPythonConnectorActsOnTheSSHHostThroughHostRun() async throws {
    let server = try SSHServer()
    let locks = try SSHServer.ownedFolder("external-locks")
    try config(host: server.hostYAML("remote"), locks: locks.path)
    let user = SSHServer.loginUser
    _ = try repo.write("resources/ops/crontab/remote/\(user)", "17 3 * * * /bin/true nightly\n")
    let apply = try await Infra.run(["apply", "--yes"], in: root)
    #expect(apply.code == 0, "\(apply)")
    #expect(try crontab(["-u", user, "-l"]) == (0, "17 3 * * * /bin/true nightly\n"))
    #expect(try await Infra.run(["plan", "--detailed-exitcode"], in: root).code == 0)

    // Import: the host's crontab becomes a resource file again (the connector's `list`).
    let file = "resources/ops/crontab/remote/\(user)"
    try FileManager.default.removeItem(at: root.appending(path: file))
    let imported = try await Infra.run(["import"], in: root)
    #expect(imported.code == 0, "\(imported)")
    #expect(imported.stdout.contains("wrote \(file) (29 bytes)"), "\(imported)")
    #expect(try repo.readText(file) == "17 3 * * * /bin/true nightly\n")
    #expect(try await Infra.run(["plan", "--detailed-exitcode"], in: root).code == 0)
    let again = try await Infra.run(
      ["import", "--host", "remote", "--connector", "ops/crontab"], in: root)
    #expect(again.stdout == "kept \(file): the repository has it already\n", "\(again)")

    // Put back as it was: the test user has no crontab of its own.
    _ = try crontab(["-u", user, "-r"])
  }

  @Test func badEntriesAndBadProgramsAreLocatedErrors() async throws {
    try config(
      host: "  box: { connect: local }",
      connectorLines: """
                options: { comand: crontab }
                env: { TOKEN: { from: INFRA_TEST_NOT_SET } }
        """)
    let missing = try await Infra.run(["validate"], in: root)
    #expect(missing.code == 1)
    #expect(
      missing.stderr.contains(
        "error: connector 'crontab' cannot start: its env 'TOKEN' takes 'INFRA_TEST_NOT_SET' from infra's environment, where it is not set"
      ), "\(missing)")

    try config(
      host: "  box: { connect: local }", connectorLines: "        options: { comand: crontab }")
    let unknown = try await Infra.run(["validate"], in: root)
    #expect(unknown.code == 1)
    #expect(
      unknown.stderr.contains("unknown option 'comand' for connector 'crontab'"), "\(unknown)")
    #expect(unknown.stderr.contains("did you mean 'command'?"))

    _ = try repo.write(
      "connectors/broken.py", "import sys\nsys.stderr.write('ImportError: yaml\\n')\nsys.exit(2)\n")
    _ = try repo.write(
      "infra.yaml",
      """
      version: 1
      hosts:
        box: { connect: local }
      prefixes:
        ops:
          connectors:
            - name: broken
              run: [python3, connectors/broken.py]
              type: files
      """)
    let both = try await Infra.run(["validate"], in: root)
    #expect(
      both.stderr.contains("infra.yaml:9:9: error: connector 'broken' has both 'run' and 'type'"),
      "\(both)")
    _ = try repo.write(
      "infra.yaml",
      """
      version: 1
      hosts:
        box: { connect: local }
      prefixes:
        ops:
          connectors:
            - name: broken
              run: [python3, connectors/broken.py]
      """)
    let broken = try await Infra.run(["plan"], in: root)
    #expect(broken.code == 1)
    #expect(
      broken.stderr.contains(
        "infra.yaml:8:14: error: connector 'broken' cannot start: connector 'ops/broken' failed in 'initialize': it exited with code 2"
      ), "\(broken)")
    #expect(broken.stderr.contains("ImportError: yaml"))

    // A program that answers `initialize` with nonsense is stopped, and says which field.
    _ = try repo.write(
      "connectors/broken.py",
      """
      import json, sys
      asked = json.loads(sys.stdin.readline())
      print(json.dumps({"jsonrpc": "2.0", "id": asked["id"], "result": {
          "protocol_version": 1, "offers": ["resources"], "concurrency": "lots"}}), flush=True)
      sys.stdin.read()
      """)
    let nonsense = try await Infra.run(["plan"], in: root)
    #expect(nonsense.code == 1)
    #expect(
      nonsense.stderr.contains(
        "infra.yaml:8:14: error: connector 'broken' cannot start: its `concurrency` must be a whole number of at least 1, not \"lots\""
      ), "\(nonsense)")
  }

  @Test(arguments: ["crash", "hang", "garbage"])
  func aMisbehavingConnectorFailsAloneAndInfraGoesOn(_ behaviour: String) async throws {
    _ = try repo.write(
      "connectors/flaky.py",
      """
      import os, sys, time
      sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
      from infra_connector import Connector, main

      class Flaky(Connector):
          def read(self, host, name, desired):
              sys.stderr.write(f"reading {name}\\n")
              sys.stderr.flush()
              if name == "crash":
                  os._exit(3)
              if name == "hang":
                  time.sleep(3600)
              print("surprise!", flush=True)
              time.sleep(3600)

      main(Flaky())
      """)
    let target = try TemporaryFolder("external-target")
    try config(
      connector: "flaky",
      connectorLines: """
                timeout: 10
              - name: files
                options: { root: \(target.path) }
        """)
    _ = try repo.write("resources/ops/flaky/box/\(behaviour)", "anything\n")
    _ = try repo.write("resources/ops/files/box/motd", "hello\n")
    // The hang ends at the timeout: the plan returns, naming it, instead of waiting. (Long
    // enough for the program to start on a busy machine: `initialize` has the same timeout.)
    let plan = try await Infra.run(["plan"], in: root)
    #expect(plan.code == 1, "\(plan)")
    let reason =
      switch behaviour {
      case "crash": "it exited with code 3"
      case "hang": "it did not answer 'read' within 10 s"
      default: "it printed a line that is not a JSON-RPC 2.0 message: surprise!"
      }
    #expect(
      plan.stdout.contains("ops/flaky on box: connector 'ops/flaky' failed in 'read': \(reason)"),
      "\(plan)")
    #expect(plan.stdout.contains("reading \(behaviour)"), "its standard error is shown")
    // The other connector of the same host was planned all the same.
    #expect(plan.stdout.contains("+ ops/files/box/motd on box"))
    #expect(
      plan.stdout.contains("Plan: 1 to create, 0 to update, 0 to delete, 0 unchanged, 1 failed."))
  }

  func git(_ arguments: [String]) throws {
    let code = try ChildProcess.run("/usr/bin/git", ["-C", root.path] + arguments)
    if code != 0 { throw ChildProcessError(message: "git \(arguments) failed: \(code)") }
  }
}
