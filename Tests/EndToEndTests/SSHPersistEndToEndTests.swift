import Foundation
import InfraTestSupport
import InfraTransport
import Testing

/// Warm connections: a run leaves its SSH master open for `ssh_persist` seconds, so the next
/// run reaching the host the same way pays no handshake; one reaching it otherwise opens its
/// own; `infra disconnect` closes them; `ssh_persist: 0` and an interrupted run leave none.
@Suite struct SSHPersistEndToEndTests {
  @Test func aSecondRunReusesTheConnectionUntilDisconnected() async throws {
    let server = try SSHServer()
    let repo = try TemporaryFolder("persist")
    let target = try SSHServer.ownedFolder("persist-target")
    let locks = try SSHServer.ownedFolder("persist-locks")
    func write(_ extraData: String = "", persist: Int? = nil) throws {
      try repo.write(
        "infra.yaml",
        """
        version: 1
        hosts:
        \(server.hostYAML("box", extraData: extraData, persist: persist))
        locks: { folder: \(locks.path) }
        prefixes:
          p:
            connectors:
              - { name: files, options: { root: \(target.path) } }
        """)
    }
    try write()
    try repo.write("resources/p/files/box/etc/motd", "hello\n")
    for _ in 0..<2 {
      let plan = try await Infra.run(["plan"], in: repo.url)
      #expect(plan.code == 0, "\(plan)")
    }
    let apply = try await Infra.run(["apply", "--yes"], in: repo.url)
    #expect(apply.code == 0, "\(apply)")
    // Two plans and an apply, one login, still open.
    #expect(try server.logins() == 1)
    let log = try String(contentsOfFile: server.log, encoding: .utf8)
    #expect(!log.contains("Disconnected from user"), "\(log)")

    // Reached another way (another option), the host gets a connection of its own.
    try write("ssh_options: { ServerAliveCountMax: 5 }")
    #expect(try await Infra.run(["plan"], in: repo.url).code == 0)
    #expect(try server.logins() == 2)

    // disconnect closes the connection of each way the repository reaches the host now.
    let closed = try await Infra.run(["disconnect"], in: repo.url)
    #expect(closed.code == 0 && closed.stdout.contains("closed the connection to box"), "\(closed)")
    try write()
    let other = try await Infra.run(["disconnect", "box"], in: repo.url)
    #expect(other.stdout.contains("closed the connection to box"), "\(other)")
    let both = try await server.endedLogins(atLeast: 2)
    #expect(both == (logins: 2, ended: 2))
    let none = try await Infra.run(["disconnect"], in: repo.url)
    #expect(none.code == 0 && none.stdout.contains("no connection was open"), "\(none)")

    // ssh_persist: 0 closes it when the run ends.
    try write(persist: 0)
    #expect(try await Infra.run(["plan"], in: repo.url).code == 0)
    let third = try await server.endedLogins(atLeast: 3)
    #expect(third == (logins: 3, ended: 3))
  }

  /// A run that is interrupted leaves no connection open, persistent or not.
  @Test func anInterruptedRunLeavesNothingOpen() async throws {
    let server = try SSHServer()
    let repo = try TemporaryFolder("persist-interrupt")
    try repo.write(
      "infra.yaml",
      "version: 1\nhosts:\n\(server.hostYAML("box", persist: nil))\nprefixes: {}\n")
    let scratch = try TemporaryFolder("persist-interrupt-out")
    let pid = try ChildProcess.spawn(
      Infra.binary.path, ["run", "box", "--", "sleep", "600"], directory: repo.path,
      environment: Infra.environment(scratch: scratch), stdout: scratch.appending("stdout").path,
      stderr: scratch.appending("stderr").path)
    // The command is running on the host once sshd starts its second session (the first
    // gathers nothing: it is the connection's check).
    for _ in 0..<1200 {
      let log = try String(contentsOfFile: server.log, encoding: .utf8)
      if log.components(separatedBy: "Starting session").count > 1 || !isRunning(pid) { break }
      try await Task.sleep(for: .milliseconds(50))
    }
    kill(pid, SIGINT)
    let code = await ChildProcess.exit(of: pid)
    let stderr = try scratch.readText("stderr")
    #expect(code == 130, "\(stderr)")
    let ended = try await server.endedLogins(atLeast: 1)
    #expect(ended == (logins: 1, ended: 1))
  }
}
