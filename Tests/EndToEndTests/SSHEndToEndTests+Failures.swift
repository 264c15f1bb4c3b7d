import Foundation
import InfraTestSupport
import InfraTransport
import Testing

/// What goes wrong over SSH is said in words that name the host and the fix; and `infra run`.
extension SSHEndToEndTests {
  @Test func aSudoThatWantsAPasswordIsAClearError() async throws {
    try writeConfig(connector: "        sudo: true")
    try resource("remote/etc/motd", "hello\n")
    let plan = try await Infra.run(["plan"], in: root)
    #expect(plan.code == 1, "\(plan)")
    #expect(
      plan.stdout.contains(
        "test/files on remote: host remote: sudo to root asks for a password, and infra never types one"
      ))
  }

  /// A file behind a folder the login user may not enter is not "missing": the plan says
  /// what stops it, and plans nothing for it (a create would fail, or overwrite blindly).
  @Test func aPathBehindAFolderTheUserMayNotEnterIsNamedAsSuch() async throws {
    try writeConfig()
    try resource("remote/locked/app.conf", "wanted\n")
    try resource("remote/open/app.conf", "wanted\n")
    try target.write("locked/app.conf", "there already\n")
    try target.setMode("locked", 0)
    defer { try? target.setMode("locked", 0o755) }
    let plan = try await Infra.run(["plan"], in: root)
    #expect(plan.code == 1, "\(plan)")
    #expect(
      plan.stdout.contains(
        "cannot reach \(target.path)/locked/app.conf on remote: permission denied on \(target.path)/locked, which the connecting user may not enter"
      ), "\(plan)")
    #expect(plan.stdout.contains("+ test/files/remote/open/app.conf on remote"), "\(plan)")
    #expect(!plan.stdout.contains("create \(target.path)/locked"), "\(plan)")
  }

  @Test func aRefusedHostDoesNotStopTheOthers() async throws {
    let refusing = try ClosedPort()
    let closed = refusing.port
    try writeConfig(
      hosts: server.hostYAML("remote") + "\n"
        + """
          dead:
            connect: ssh://\(SSHServer.loginUser)@127.0.0.1:\(closed)
        """)
    try resource("@all/etc/motd", "for everyone\n")
    let plan = try await Infra.run(["plan"], in: root)
    #expect(plan.code == 1, "\(plan)")
    #expect(plan.stdout.contains("+ test/files/@all/etc/motd on remote"))
    #expect(
      plan.stdout.contains(
        "✗ host dead is unreachable: connection refused by 127.0.0.1:\(closed): is sshd running and listening there?"
      ))
    let apply = try await Infra.run(["apply", "--yes"], in: root)
    #expect(apply.code == 1, "\(apply)")
    #expect(
      apply.stdout.contains("Apply failed: 1 changed, 0 failed, 1 unreachable, 0 unchanged."),
      "\(apply)")
    let row = apply.stdout.split(separator: "\n").first { $0.hasPrefix("(all)") }
    #expect(
      row?.split(separator: " ") == ["(all)", "dead", "0", "0", "1", "0", "0"], "\(apply)")
    #expect(try target.readText("etc/motd") == "for everyone\n")
    try await closedLogins()
    withExtendedLifetime(refusing) {}
  }

  @Test func aWrongHostKeyNamesTheHostAndTheFix() async throws {
    let forged = try TemporaryFolder("forged")
    try forged.write(
      "known_hosts",
      "[127.0.0.1]:\(server.port) ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n"
    )
    try writeConfig(
      hosts: server.hostYAML("remote").replacingOccurrences(
        of: server.knownHosts, with: forged.appending("known_hosts").path))
    try resource("remote/etc/motd", "hello\n")
    let plan = try await Infra.run(["plan"], in: root)
    #expect(plan.code == 1, "\(plan)")
    #expect(
      plan.stdout.contains(
        "✗ host remote is unreachable: the host key of 127.0.0.1:\(server.port) has CHANGED"))
    #expect(
      plan.stdout.contains(
        "ssh-keygen -f \(forged.path)/known_hosts -R '[127.0.0.1]:\(server.port)'"))
    #expect(!target.exists("etc/motd"))
  }

  @Test func runCommandsOnHostsAndGroups() async throws {
    let refusing = try ClosedPort()
    let closed = refusing.port
    try writeConfig(
      hosts: server.hostYAML("remote") + "\n"
        + """
          here: { connect: local }
          dead: { connect: "ssh://nobody@127.0.0.1:\(closed)" }
        """)
    let one = try await Infra.run(["run", "remote", "--", "id", "-un"], in: root)
    #expect(one.code == 0, "\(one)")
    #expect(one.stdout.contains("remote | ok | exit 0"))
    #expect(one.stdout.contains("\n\(SSHServer.loginUser)\n"))
    #expect(one.stdout.hasSuffix("1 host: 1 ok, 0 failed, 0 unreachable.\n"))

    let all = try await Infra.run(["run", "@all", "--", "echo", "hi;", "exit", "3"], in: root)
    #expect(all.code == 1, "\(all)")
    #expect(all.stdout.contains("remote | failed | exit 3"))
    #expect(all.stdout.contains("here | failed | exit 3"))
    // In the words every command uses for a host it cannot reach.
    #expect(
      all.stdout.contains(
        "dead | unreachable host dead is unreachable: connection refused by 127.0.0.1:\(closed)"))
    #expect(all.stdout.hasSuffix("3 hosts: 0 ok, 2 failed, 1 unreachable.\n"))

    let slow = try await Infra.run(
      ["run", "--timeout", "1", "remote", "--", "sleep", "30"], in: root)
    #expect(slow.code == 124, "\(slow)")
    #expect(slow.stdout.contains("remote | timed out | "), "\(slow)")
    #expect(slow.stdout.contains(" command timed out on remote after 1s and was stopped"))

    let unknown = try await Infra.run(["run", "nowhere", "--", "true"], in: root)
    #expect(unknown.code == 1)
    #expect(unknown.stderr.contains("error: there is no host 'nowhere' in infra.yaml"))
    try await closedLogins()
    withExtendedLifetime(refusing) {}
  }
}
