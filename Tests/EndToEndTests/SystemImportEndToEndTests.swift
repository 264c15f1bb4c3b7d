import Foundation
import InfraTestSupport
import Testing

/// An existing server adopted in one command: `infra import` writes the files of its packages,
/// groups, users (with their keys) and services, and the next plan has nothing to do. And each
/// connector's round trips stay the same from 1 to 50 resources.
@Suite struct SystemImportEndToEndTests {
  @Test func aServerIsAdoptedInOneCommandAndPlansClean() async throws {
    let fixture = try await ServerFixture()
    let host = fixture.host
    try await AptRepository(host.repository).publish([
      PackagesEndToEndTests.hello1, ServicesEndToEndTests.daemon,
    ])
    // What someone set up by hand.
    _ = try await host.must(
      """
      apt-get -q update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get -q -y install infra-hello infratestd >/dev/null &&
      groupadd -g 3000 team && useradd -m -u 3001 -g team -G team -s /bin/sh -c 'Alice A.' alice &&
      runuser -u alice -- sh -c 'umask 077; mkdir -p ~/.ssh && echo "\(AccountsEndToEndTests.key1)" >~/.ssh/authorized_keys' &&
      systemctl enable --now infratestd
      """)
    let imported = try await fixture.infra("import", "--host", "web")
    #expect(imported.code == 0, "\(imported)")
    let resources = fixture.repo.appending("resources/srv")
    let read = { (path: String) in
      (try? String(contentsOf: resources.appending(path: path), encoding: .utf8)) ?? ""
    }
    #expect(read("packages/web.yaml").contains("  - infra-hello\n"), "\(imported)")
    #expect(read("groups/web/team.yaml") == "gid: 3000\n", "\(imported)")
    #expect(
      read("users/web/alice.yaml")
        == """
        uid: 3001
        group: team
        groups: [team]
        shell: /bin/sh
        home: /home/alice
        comment: Alice A.
        authorized_keys:
          - \(AccountsEndToEndTests.key1)

        """, "\(imported)")
    #expect(
      read("services/web/infratestd.yaml") == "enabled: true\nstate: running\n", "\(imported)")
    #expect(read("services/web/ssh.yaml") == "enabled: true\nstate: running\n", "\(imported)")
    let plan = try await fixture.infra("plan", "--detailed-exitcode")
    #expect(plan.code == 0, "\(plan)")
    // Importing again writes nothing over what is there.
    let again = try await fixture.infra("import", "--host", "web")
    #expect(again.code == 0, "\(again)")
    #expect(read("groups/web/team.yaml") == "gid: 3000\n")
    await host.shutdown()
  }

  @Test func roundTripsStayTheSameFromOneToFiftyResources() async throws {
    let fixture = try await ServerFixture()
    let host = fixture.host
    let packages = (0..<50).map { AptRepository.Package("infra-p\($0)", "1.0") }
    try await AptRepository(host.repository).publish(packages)
    // Units for the services connector to start.
    _ = try await host.must(
      #"for i in $(seq 0 49); do printf '[Service]\nExecStart=/bin/sleep infinity\n[Install]\nWantedBy=multi-user.target\n' >/etc/systemd/system/infra-s$i.service; done; systemctl daemon-reload"#
    )
    var trips: [Int: (plan: [String: Int], apply: [String: Int])] = [:]
    for (count, range) in [(1, 0..<1), (49, 1..<50)] {
      for index in range {
        try fixture.write("groups/web/g\(index).yaml", "")
        try fixture.write("users/web/u\(index).yaml", "groups: [g\(index)]\ncreate_home: false\n")
        try fixture.write("services/web/infra-s\(index).yaml", "enabled: true\nstate: running\n")
      }
      try fixture.write(
        "packages/web.yaml",
        "install:\n" + (0..<range.upperBound).map { "  - infra-p\($0)\n" }.joined())
      let (plan, planned) = try await fixture.measured("plan")
      #expect(plan.code == 0, "\(plan)")
      let (apply, applied) = try await fixture.measured("apply", "--yes")
      #expect(apply.code == 0, "\(apply)")
      // The lock's round trips grow with time (its lease is renewed while the apply works):
      // the connectors' are what must not grow with the resources.
      trips[count] = (
        planned.filter { $0.key.hasPrefix("srv/") }, applied.filter { $0.key.hasPrefix("srv/") }
      )
    }
    let expected = (
      plan: ["srv/packages": 2, "srv/groups": 1, "srv/users": 1, "srv/services": 1],
      apply: ["srv/packages": 3, "srv/groups": 2, "srv/users": 2, "srv/services": 2]
    )
    for count in [1, 49] {
      #expect(trips[count]?.plan == expected.plan, "\(count): \(String(describing: trips[count]))")
      #expect(
        trips[count]?.apply == expected.apply, "\(count): \(String(describing: trips[count]))")
    }
    #expect(try await host.must("getent passwd u49 | cut -d: -f1") == "u49")
    #expect(try await host.must("systemctl is-active infra-s49") == "active")
    #expect(try await host.must("dpkg-query -W -f='${Version}' infra-p49") == "1.0")
    #expect(try await fixture.infra("plan", "--detailed-exitcode").code == 0)
    await host.shutdown()
  }
}
