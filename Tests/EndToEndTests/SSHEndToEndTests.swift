import Foundation
import InfraTestSupport
import InfraTransport
import Testing

/// The built `infra` binary against a real sshd on 127.0.0.1, logging in as a dedicated user.
@Suite struct SSHEndToEndTests {
  let server: SSHServer
  let repo: TemporaryFolder
  let target: TemporaryFolder
  /// Where the hosts keep their apply locks: a folder of its own, so parallel tests never meet.
  let locks: TemporaryFolder
  var root: URL { repo.url }

  init() throws {
    server = try SSHServer()
    repo = try TemporaryFolder("ssh-e2e-repo")
    target = try SSHServer.ownedFolder("ssh-e2e-target")
    locks = try SSHServer.ownedFolder("ssh-e2e-locks")
  }

  func writeConfig(hosts: String? = nil, connector: String = "", options: String = "") throws {
    try repo.write(
      "infra.yaml",
      """
      version: 1
      hosts:
      \(hosts ?? server.hostYAML("remote"))
      locks: { folder: \(locks.path) }
      prefixes:
        test:
          connectors:
            - name: files
              options: { root: \(target.path)\(options) }
      \(connector)
      """)
  }

  func resource(_ path: String, _ content: String) throws {
    try repo.write("resources/test/files/\(path)", content)
  }

  /// Waits until sshd has logged at least `logins` logins and every login has ended (no master
  /// outlived `infra`), then returns the exact count, a moment later (a late login counts).
  @discardableResult
  func closedLogins(atLeast logins: Int = 1) async throws -> Int {
    let counts = try await server.endedLogins(atLeast: logins)
    guard counts.logins >= logins, counts.logins == counts.ended else {
      Issue.record("sshd logged \(counts.logins) logins and \(counts.ended) disconnections")
      return counts.logins
    }
    try await Task.sleep(for: .milliseconds(300))
    return try server.logins()
  }

  @Test func theFilesLifecycleOverSSH() async throws {
    try writeConfig()
    var generator = SeededGenerator(seed: 5)
    let big = Data((0..<(10 << 20)).map { _ in UInt8.random(in: 0...255, using: &generator) })
    try repo.write("resources/test/files/remote/var/big.bin", data: big)
    let awkward = ["dir with space/it's \"q\"", "$(touch pwned)", "-dash", "new\nline", "ünï ✓"]
    for name in awkward { try resource("remote/\(name)", "\(name)\n") }
    try resource("remote/etc/motd", "hello\n")
    try resource("remote/etc/.infra-attrs.yaml", "files:\n  stale: { state: absent }\n")
    try target.write("etc/stale", "old\n")
    try SSHServer.giveAway(target)

    let plan = try await Infra.run(["plan"], in: root)
    #expect(plan.code == 0, "\(plan)")
    #expect(plan.stdout.contains("create \(target.path)/var/big.bin: binary, 10.0 MiB, mode 0644"))
    #expect(plan.stdout.contains("Plan: 7 to create, 0 to update, 1 to delete, 0 unchanged."))
    let apply = try await Infra.run(["apply", "--yes"], in: root)
    #expect(apply.code == 0, "\(apply)")
    #expect(try target.read("var/big.bin") == big)
    for name in awkward { #expect(try target.readText(name) == "\(name)\n") }
    #expect(!target.exists("etc/stale"))
    var info = stat()
    #expect(stat(target.appending("etc/motd").path, &info) == 0)
    #expect(info.st_uid == getpwnam(SSHServer.loginUser)?.pointee.pw_uid)

    let again = try await Infra.run(["plan", "--detailed-exitcode"], in: root)
    #expect(again.code == 0, "\(again)")
    #expect(again.stdout.contains("No changes"))

    try resource("remote/etc/motd", "hello, ssh\n")
    try resource("remote/etc/.infra-attrs.yaml", "files:\n  motd: { mode: \"0600\" }\n")
    let update = try await Infra.run(["apply", "--yes"], in: root)
    #expect(update.code == 0, "\(update)")
    #expect(
      update.stdout.contains("update \(target.path)/etc/motd: content (+1 −1), mode 0644 → 0600"))
    #expect(try target.readText("etc/motd") == "hello, ssh\n")
    #expect(try target.mode("etc/motd") == 0o600)
    try await closedLogins()
  }

  /// Rewriting a file keeps its owner and group; when the connecting user may not, the apply
  /// says so in the words of what the repository asked for.
  @Test func ownershipThatCannotBeKeptIsExplained() async throws {
    try writeConfig()
    try resource("remote/etc/motd", "new\n")
    try target.write("etc/motd", "old\n")
    try SSHServer.giveAway(target)
    chown(target.appending("etc/motd").path, getpwnam(SSHServer.loginUser)!.pointee.pw_uid, 0)
    let apply = try await Infra.run(["apply", "--yes"], in: root)
    #expect(apply.code == 1, "\(apply)")
    #expect(
      apply.stdout.contains(
        "\(target.path)/etc/motd: rewriting it would change its owner or group (uid \(getpwnam(SSHServer.loginUser)!.pointee.pw_uid), gid 0), which the connecting user may not keep (Operation not permitted); set `owner:` and `group:` for it in .infra-attrs.yaml, or connect as root or with sudo"
      ), "\(apply)")
    #expect(try target.readText("etc/motd") == "old\n")
  }

  @Test func aPlanOf200FilesHandshakesOnce() async throws {
    try writeConfig()
    for index in 0..<200 {
      try resource("remote/f\(index / 20)/file\(index)", "content \(index)\n")
    }
    let plan = try await Infra.run(["plan"], in: root)
    #expect(plan.code == 0, "\(plan)")
    #expect(plan.stdout.contains("Plan: 200 to create"))
    #expect(try await closedLogins(atLeast: 1) == 1)
    let apply = try await Infra.run(["apply", "--yes"], in: root)
    #expect(apply.code == 0, "\(apply)")
    let logins = try await closedLogins(atLeast: 2)
    #expect(logins == 2, "one handshake for the apply's plan and its writes together")
    #expect(target.files().count == 200)
  }

  /// The round trips infra reports for one host: the `files` connector's transport calls.
  func roundTrips(_ run: InfraRun, events: URL) throws -> Int {
    let lines = try String(contentsOf: events, encoding: .utf8).split(separator: "\n")
    let last = try #require(lines.last)
    let end = try #require(
      try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any])
    let data = try #require(end["data"] as? [String: Any])
    let stats = try #require((data["stats"] as? [String: Any])?["remote"] as? [String: Any])
    return try #require((stats["round_trips"] as? [String: Int])?["test/files"], "\(run)")
  }

  /// Reading, diffing and writing cost a constant number of round trips per host, whatever the
  /// number of files: infra reports them in its run stats. 1,000 files are hashed on the host
  /// in two batches at once (500 files or more each), whose outputs must both come back, and
  /// installed in one (the connector's `batch_size`).
  @Test(arguments: [20, 1000])
  func roundTripsDoNotGrowWithTheNumberOfFiles(files count: Int) async throws {
    try writeConfig()
    let scratch = try TemporaryFolder("round-trips")
    let events = scratch.appending("events.jsonl")
    for index in 0..<count { try resource("remote/d\(index % 10)/f\(index)", "\(index)\n") }

    let plan = try await Infra.run(["plan", "--events", events.path], in: root)
    #expect(plan.code == 0, "\(plan)")
    #expect(try roundTrips(plan, events: events) == 1, "one read of every file's state")
    let apply = try await Infra.run(["apply", "--yes", "--events", events.path], in: root)
    #expect(apply.code == 0, "\(apply)")
    let applied = try roundTrips(apply, events: events)
    #expect(applied == 2, "the read, then one install: \(applied)\n\(apply.stdout.suffix(2000))")

    for index in stride(from: 0, to: count, by: count / 10) {
      try resource("remote/d\(index % 10)/f\(index)", "changed \(index)\n")
    }
    let changed = try await Infra.run(["apply", "--yes", "--events", events.path], in: root)
    #expect(changed.code == 0, "\(changed)")
    #expect(changed.stdout.contains("Plan: 0 to create, 10 to update"))
    #expect(changed.stdout.contains("+changed \(count / 10)"), "the diff shows the new line")
    #expect(try roundTrips(changed, events: events) == 3, "the read, the old contents, one install")
  }

  /// `sudo_user:` on the connector, or on the host: either way files are written as that user.
  @Test(arguments: ["connector", "host"])
  func sudoWritesAsAnotherUser(_ level: String) async throws {
    let appFolder = try SSHServer.ownedFolder("ssh-e2e-app", by: SSHServer.sudoTargetUser)
    chmod(appFolder.path, 0o700)
    let sudo = "sudo_user: \(SSHServer.sudoTargetUser)"
    let host = server.hostYAML("remote")
      .replacingOccurrences(
        of: "    data:", with: level == "host" ? "    \(sudo)\n    data:" : "    data:")
    try repo.write(
      "infra.yaml",
      """
      version: 1
      hosts:
      \(host)
      locks: { folder: \(locks.path) }
      prefixes:
        test:
          connectors:
            - name: files
              options: { root: \(appFolder.path) }
      \(level == "connector" ? "        " + sudo : "")
      """)
    try resource("remote/conf/app.conf", "port = 80\n")
    let apply = try await Infra.run(["apply", "--yes"], in: root)
    #expect(apply.code == 0, "\(apply)")
    var info = stat()
    #expect(stat(appFolder.appending("conf/app.conf").path, &info) == 0)
    #expect(info.st_uid == getpwnam(SSHServer.sudoTargetUser)?.pointee.pw_uid)
    #expect(try await Infra.run(["plan", "--detailed-exitcode"], in: root).code == 0)
  }

  /// Ctrl-C in the middle of a long apply: the ops already running finish, no new one starts,
  /// nothing is left half-written, the connection is closed, the run is recorded as canceled,
  /// and the next apply completes the rest.
  @Test func ctrlCInTheMiddleOfALongApply() async throws {
    // One file per command, so the apply lasts long enough to interrupt even on a busy machine
    // (a stop takes effect before the next file is sent, in one command or many).
    try writeConfig(options: ", batch_size: 1")
    let count = 600
    func content(_ index: Int) -> String { String(repeating: "line \(index)\n", count: 50) }
    for index in 0..<count { try resource("remote/d\(index / 40)/f\(index)", content(index)) }
    let scratch = try TemporaryFolder("ctrl-c")
    let pid = try ChildProcess.spawn(
      Infra.binary.path, ["apply", "--yes"], directory: root.path,
      environment: Infra.environment(scratch: scratch), stdout: scratch.appending("stdout").path,
      stderr: scratch.appending("stderr").path)
    // Watched from a thread of its own: the tests' shared task pool can be busy for seconds
    // with other tests' blocking waits, and by then the apply would be over.
    let target = target
    Thread.detachNewThread {
      for _ in 0..<1200 where target.files().count < 20 { usleep(25_000) }
      kill(pid, SIGINT)
    }
    let code = await ChildProcess.exit(of: pid)
    let stderr = try scratch.readText("stderr")
    #expect(code == 130, "\(stderr)")

    let files = target.files()
    #expect(files.count >= 20 && files.count < count, "the apply stopped part-way")
    #expect(!files.contains { $0.contains(".infra-") }, "no temporary file is left behind")
    for file in files {
      let index = try #require(Int(file.split(separator: "/").last!.dropFirst()))
      #expect(try target.readText(file) == content(index), "\(file) is whole")
    }
    let runs = root.appending(path: ".infra/runs")
    let run = runs.appending(
      path: try #require(
        try FileManager.default.contentsOfDirectory(atPath: runs.path).sorted().last))
    #expect(try String(contentsOf: run.appending(path: "status"), encoding: .utf8) == "canceled\n")
    #expect(try String(contentsOf: run.appending(path: "rc"), encoding: .utf8) == "130\n")
    let events = try String(contentsOf: run.appending(path: "events.jsonl"), encoding: .utf8)
    let started = events.components(separatedBy: "\"event\":\"op_start\"").count - 1
    let finished = events.components(separatedBy: "\"event\":\"op_ok\"").count - 1
    #expect(started == finished, "every op that started also finished")
    #expect(finished == files.count)
    #expect(try scratch.readText("stdout").contains("Canceled (run "))
    #expect(try await closedLogins() == 1)

    let again = try await Infra.run(["apply", "--yes"], in: root)
    #expect(again.code == 0, "\(again)")
    #expect(
      again.stdout.contains(
        "Plan: \(count - files.count) to create, 0 to update, 0 to delete, \(files.count) unchanged."
      ))
    #expect(target.files().count == count)
  }

  /// Ctrl-C in the middle of a run still closes the SSH master: nothing outlives infra.
  @Test func anInterruptClosesTheConnections() async throws {
    try writeConfig()
    let scratch = try TemporaryFolder("interrupt")
    let pid = try ChildProcess.spawn(
      // Long enough that only the interrupt ends it, however late a busy machine delivers it.
      Infra.binary.path, ["run", "remote", "--", "sleep", "600"], directory: root.path,
      environment: Infra.environment(scratch: scratch), stdout: scratch.appending("stdout").path,
      stderr: scratch.appending("stderr").path)
    // Wait until the command is running on the host (the loop ends as soon as it is, however
    // long a busy machine takes to get there).
    // It ended already if it failed: then what it said is the failure.
    for _ in 0..<1200 {
      if try String(contentsOfFile: server.log, encoding: .utf8).contains("Starting session")
        || !isRunning(pid)
      {
        break
      }
      try await Task.sleep(for: .milliseconds(50))
    }
    kill(pid, SIGINT)
    let code = await ChildProcess.exit(of: pid)
    let stderr = try scratch.readText("stderr")
    let said =
      "exit \(code)\n\(stderr)\n\(try scratch.readText("stdout"))\nsshd:\n\(try String(contentsOfFile: server.log, encoding: .utf8).suffix(2000))"
    #expect(code == 130, "\(said)")
    #expect(stderr.contains("infra: interrupted; closing connections"), "\(said)")
    #expect(try await closedLogins() == 1)
  }

}
