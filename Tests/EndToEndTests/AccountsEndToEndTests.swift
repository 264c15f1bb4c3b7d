import Foundation
import InfraTestSupport
import Testing

/// The users and groups connectors on a booted Debian test host, over SSH with sudo:
/// accounts created with their keys, changed (groups appended and replaced, shell, keys) and
/// deleted, and names that a shell would read refused, values quoted.
@Suite struct AccountsEndToEndTests {
  static let key1 =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOv1lJdQ0k4n0Lr3cVZ3h1yQ8b7aKq4Z0JmX2bC5dE7f laptop"
  static let key2 =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFq2mN8pL0rT5vW7xY9zA1bC3dE5fG7hI9jK1lM3nO5p ci 'quoted' $(id)"

  @Test func accountsAreCreatedChangedAndDeleted() async throws {
    let fixture = try await ServerFixture()
    let host = fixture.host
    // A comment a shell would run, if it were not quoted.
    let comment = #"Deploy "x"; $(touch /tmp/pwned) `touch /tmp/pwned2`"#
    try fixture.write("groups/web/deployers.yaml", "gid: 2500\n")
    try fixture.write("groups/web/ops.yaml", "")
    try fixture.write(
      "users/web/deploy.yaml",
      """
      uid: 2501
      group: deployers
      groups: [ops]
      shell: /bin/sh
      comment: '\(comment.replacingOccurrences(of: "'", with: "''"))'
      authorized_keys:
        - \(Self.key1)

      """)
    // Owned by a user and a group that this apply creates before it writes the file.
    try fixture.write("files/web/srv/app/config", "setting\n")
    try fixture.write(
      "files/web/srv/app/.infra-attrs.yaml",
      "files:\n  config: { owner: deploy, group: deployers }\n")
    let plan = try await fixture.infra("plan")
    #expect(plan.code == 0, "\(plan)")
    #expect(
      plan.stdout.contains("its user deploy is created by an earlier change of this apply"),
      "\(plan)")
    let create = try await fixture.infra("apply", "--yes")
    #expect(create.code == 0, "\(create)")
    #expect(
      try await host.must("getent passwd deploy")
        == "deploy:x:2501:2500:\(comment):/home/deploy:/bin/sh")
    #expect(try await host.must("id -Gn deploy") == "deployers ops")
    #expect(try await host.root("ls /tmp/pwned /tmp/pwned2").code != 0)
    #expect(try await host.must("cat /home/deploy/.ssh/authorized_keys") == Self.key1)
    #expect(
      try await host.must("stat -c '%a %U %G' /home/deploy/.ssh /home/deploy/.ssh/authorized_keys")
        == "700 deploy deployers\n600 deploy deployers")
    #expect(try await host.must("stat -c '%U %G' /srv/app/config") == "deploy deployers")
    #expect(try await fixture.infra("plan", "--detailed-exitcode").code == 0)

    // Groups appended, then replaced; a new shell; a second key.
    try fixture.write("groups/web/adm2.yaml", "")
    try fixture.write(
      "users/web/deploy.yaml",
      "group: deployers\ngroups: [adm2]\nappend: true\nshell: /bin/bash\nauthorized_keys:\n  - \(Self.key1)\n  - \"\(Self.key2)\"\n"
    )
    let append = try await fixture.infra("apply", "--yes")
    #expect(append.code == 0, "\(append)")
    #expect(append.stdout.contains("groups: + adm2 (appended)"), "\(append)")
    #expect(try await host.must("id -Gn deploy") == "deployers ops adm2")
    #expect(try await host.must("getent passwd deploy").hasSuffix(":/bin/bash"))
    #expect(
      try await host.must("cat /home/deploy/.ssh/authorized_keys") == Self.key1 + "\n" + Self.key2)
    try fixture.write("users/web/deploy.yaml", "groups: [adm2]\n")
    let replace = try await fixture.infra("apply", "--yes")
    #expect(replace.code == 0, "\(replace)")
    #expect(try await host.must("id -Gn deploy") == "deployers adm2")
    #expect(try await fixture.infra("plan", "--detailed-exitcode").code == 0)

    // Locked and unlocked: a password set by hand is kept behind the lock.
    let password = "$6$salt$c2FsdGVkLWhhc2gtb2YtYS1wYXNzd29yZA"
    _ = try await host.must("usermod -p '\(password)' deploy")
    try fixture.write("users/web/deploy.yaml", "groups: [adm2]\nlocked: true\n")
    #expect(try await fixture.infra("apply", "--yes").code == 0)
    #expect(try await host.must("getent shadow deploy | cut -d: -f2") == "!" + password)
    try fixture.write("users/web/deploy.yaml", "groups: [adm2]\nlocked: false\n")
    #expect(try await fixture.infra("apply", "--yes").code == 0)
    #expect(try await host.must("getent shadow deploy | cut -d: -f2") == password)
    #expect(try await fixture.infra("plan", "--detailed-exitcode").code == 0)
    // An account with no password cannot be unlocked: the plan says so, and nothing runs.
    _ = try await host.must("useradd -M nopass")
    try fixture.write("users/web/nopass.yaml", "locked: false\n")
    let unlock = try await fixture.infra("plan")
    #expect(unlock.code == 1, "\(unlock)")
    #expect(
      unlock.stdout.contains("nopass on web has no password, so it cannot be unlocked"), "\(unlock)"
    )
    try fixture.remove("users/web/nopass.yaml")

    // Deleted: the account goes, its home stays; then its groups.
    try fixture.remove("files/web/srv/app/.infra-attrs.yaml")
    try fixture.write("users/web/deploy.yaml", "state: absent\n")
    try fixture.write("groups/web/ops.yaml", "state: absent\n")
    let delete = try await fixture.infra("apply", "--yes")
    #expect(delete.code == 0, "\(delete)")
    #expect(delete.stdout.contains("delete user deploy (its home is kept)"), "\(delete)")
    #expect(try await host.root("getent passwd deploy").code == 2)
    #expect(try await host.root("getent group ops").code == 2)
    #expect(try await host.root("test -d /home/deploy").code == 0)
    #expect(try await fixture.infra("plan", "--detailed-exitcode").code == 0)

    // Neither the account infra logs in as nor the sshd it comes through is taken away.
    try fixture.write("users/web/\(SystemHost.loginUser).yaml", "state: absent\n")
    try fixture.write("services/web/ssh.yaml", "state: stopped\n")
    let cutOff = try await fixture.infra("plan")
    #expect(cutOff.code == 1, "\(cutOff)")
    #expect(
      cutOff.stdout.contains(
        "infra connects to web as \(SystemHost.loginUser): deleting that account would cut it off"),
      "\(cutOff)")
    #expect(
      cutOff.stdout.contains("infra reaches web through ssh.service: stopping or disabling it"),
      "\(cutOff)")
    await host.shutdown()
  }

  @Test func namesAShellWouldReadAreRefused() async throws {
    let repo = try TemporaryFolder("accounts-names")
    try repo.write(
      "infra.yaml",
      """
      version: 1
      hosts:
        web: { connect: local }
      prefixes:
        srv:
          connectors:
            - { name: groups }
            - { name: users }
      """)
    try repo.write("resources/srv/users/web/some user; whoami.yaml", "shell: /bin/sh\n")
    try repo.write("resources/srv/users/web/ok.yaml", "name: \"x$(whoami)\"\ngroups: [\"a;b\"]\n")
    try repo.write("resources/srv/groups/web/-rf.yaml", "")
    let validate = try await Infra.run(["validate"], in: repo.url)
    #expect(validate.code == 1, "\(validate)")
    let said = validate.stdout + validate.stderr
    #expect(
      said.contains(
        "resources/srv/users/web/some user; whoami.yaml: error: 'some user; whoami' is not a user name infra manages"
      ),
      "\(validate)")
    #expect(
      said.contains(
        "resources/srv/users/web/ok.yaml:1:7: error: 'x$(whoami)' is not a user name infra manages"),
      "\(validate)")
    #expect(said.contains("ok.yaml:2:10: error: 'a;b' is not a group name"), "\(validate)")
    #expect(said.contains("'-rf' is not a group name infra manages"), "\(validate)")
  }
}
