import Foundation
import InfraCore
import InfraTestSupport
import Testing

/// Syntax errors, typed SSH and sudo settings, and every problem in one pass.
extension ConfigLoaderTests {
  @Test func syntaxErrorsAreLocated() {
    #expect(
      problems(
        """
        version: 1
        hosts:
          local: { connect: local
        prefixes: {}
        """) == [
          "4:9: error: invalid YAML: did not find expected ',' or '}' (while parsing a flow mapping at 3:10)"
        ])
    #expect(
      problems("version: 1\nversion: 1\n") == ["1:1: error: duplicate key 'version' in one mapping"]
    )
    #expect(problems("") == ["1:1: error: infra.yaml is empty"])
    #expect(
      problems("- just\n- a list\n") == [
        "1:1: error: expected a mapping for the top level of infra.yaml, found a list"
      ])
  }

  @Test func theLockLeaseIsAWholeNumberOfSecondsOfAtLeastOne() {
    let head = "version: 1\nhosts: { local: { connect: local } }\nprefixes: {}\n"
    #expect(
      problems(head + "locks: { lease: 0 }\n") == [
        "4:17: error: 'lease' must be at least 1 second, not 0"
      ])
    #expect(problems(head + "locks: { lease: 5, folder: /var/lock/infra }\n").isEmpty)
    #expect(
      problems(head + "locks: { leese: 5 }\n").first?.contains("unknown key 'leese'") == true)
  }

  @Test func aPackagedConnectorRunsThroughTheSDKOfItsPython() throws {
    let head =
      "version: 1\nhosts: { local: { connect: local } }\nprefixes:\n  p:\n    connectors:\n"
    let (config, diagnostics) = ConfigLoader.parse(
      head + "      - { name: notes, package: notes, python: .venv/bin/python, timeout: 9 }\n")
    #expect(diagnostics.all.isEmpty, "\(diagnostics.all)")
    let program = try #require(config?.prefixes.first?.connectors.first?.program)
    #expect(program.arguments == [".venv/bin/python", "-m", "infra_connector", "notes"])
    #expect(program.timeout == 9)
    #expect(
      problems(
        head
          + "      - { name: a, package: a, run: [x] }\n      - { name: b, package: b, type: files }\n      - { name: c, python: python3 }\n"
      )
        == [
          "6:32: error: connector 'a' has both 'package' and 'run'",
          "7:32: error: connector 'b' has both 'package' and 'type'",
          "8:20: error: 'python' is for external connectors, and connector 'c' has no 'run' or 'package'",
        ])
  }

  @Test func sshSettingsAndSudoAreTypedWhereTheyAreWritten() throws {
    let yaml = """
      version: 1
      hosts:
        web1:
          connect: ssh://deploy@web1:2222
          sudo_user: app
          data:
            ssh_identity_file: ~/.ssh/deploy
            ssh_host_key_checking: accept-new
            ssh_connect_timeout: 5
            ssh_options: { ProxyJump: bastion }
            ssh_persist: 0
        web2:
          connect: ssh://web2
          data:
            ssh_host_key_checking: maybe
            ssh_conect_timeout: 5
            ssh_persist: -1
            role: web
      prefixes:
        prod:
          connectors:
            - name: files
              sudo: false
            - name: configs
              type: files
              sudo: false
              sudo_user: app
      """
    #expect(
      problems(yaml) == [
        "15:30: error: 'ssh_host_key_checking' of host 'web2' must be 'strict' or 'accept-new', not 'maybe'",
        "16:7: error: unknown SSH setting 'ssh_conect_timeout' in the data of host 'web2'",
        "17:20: error: 'ssh_persist' of host 'web2' must be 0 or more seconds",
        "27:9: error: 'sudo_user: app' has no effect with 'sudo: false'",
      ])
    #expect(hints(yaml)[1].hasPrefix("did you mean 'ssh_connect_timeout'?"))
    let config = try #require(ConfigLoader.parse(yaml).0)
    let web1 = config.hosts[0]
    #expect(web1.escalation == .sudo(user: "app"))
    #expect(
      web1.ssh
        == SSHSettings(
          identityFile: "~/.ssh/deploy", hostKeyChecking: .acceptNew, connectTimeout: 5,
          options: ["ProxyJump": "bastion"], persistSeconds: 0))
    #expect(config.hosts[1].ssh.persistSeconds == SSHSettings.defaultPersistSeconds)
    #expect(config.hosts[1].escalation == Escalation.none)
    #expect(config.hosts[1].data["role"] == .string("web"))
    #expect(config.prefixes[0].connectors.map(\.escalation) == [Escalation.none, Escalation.none])
  }

  @Test func everyProblemIsReportedInOnePass() {
    let found = problems(
      """
      version: 1
      hots: {}
      hosts:
        web1:
          connect: telnet://web1
          groups: web
      prefixes:
        prod:
          connectors:
            - name: files
              hosts: [web9]
            - name: files
      """)
    #expect(found.count == 5, "\(found)")
  }
}
