import InfraCore
import Testing

/// Each kind of infra.yaml error, with the exact place it is reported at.
@Suite struct ConfigLoaderTests {
  /// `line:column: severity: message` for every diagnostic, in file order.
  func problems(_ yaml: String) -> [String] {
    let (_, diagnostics) = ConfigLoader.parse(yaml)
    return diagnostics.sorted.map { diagnostic in
      let place = diagnostic.location.map { "\($0.line ?? 0):\($0.column ?? 0)" } ?? "-"
      return "\(place): \(diagnostic.severity.rawValue): \(diagnostic.message)"
    }
  }

  func hints(_ yaml: String) -> [String] {
    ConfigLoader.parse(yaml).1.sorted.compactMap(\.hint)
  }

  @Test func validConfigBuildsTheModel() throws {
    let (config, diagnostics) = ConfigLoader.parse(
      """
      version: 1
      hosts:
        local: { connect: local }
        web1:
          connect: ssh://deploy@10.0.0.5:2222
          groups: [web, "@eu"]
          data: { role: frontend, weight: 3 }
          sudo: true
        v6: { connect: "ssh://[::1]" }
      prefixes:
        prod:
          connectors:
            - name: files
              hosts: ["@web", local]
            - name: configs
              type: files
              options: { root: /srv/app }
      """)
    #expect(diagnostics.isEmpty, "\(diagnostics.all)")
    let model = try #require(config)
    #expect(model.version == 1)
    #expect(model.hosts.map(\.name) == ["local", "web1", "v6"])
    #expect(model.hosts[1].connection == .ssh(user: "deploy", host: "10.0.0.5", port: 2222))
    #expect(model.hosts[1].groups.map(\.value) == ["web", "eu"])
    #expect(model.hosts[1].data["role"] == .string("frontend"))
    #expect(model.hosts[1].data["weight"] == .int(3))
    #expect(model.hosts[1].escalation == .sudo(user: nil))
    #expect(model.hosts[2].connection == .ssh(user: nil, host: "::1", port: nil))
    #expect(model.hosts[2].connection.description == "ssh://[::1]")
    let prefix = try #require(model.prefixes.first)
    #expect(prefix.connectors.map(\.name.value) == ["files", "configs"])
    #expect(prefix.connectors[0].hosts?.map(\.value) == [.group("web"), .host("local")])
    #expect(prefix.connectors[0].hosts?[0].location.description == "infra.yaml:14:17")
    #expect(prefix.connectors[1].type.value == "files")
    #expect(prefix.connectors[1].options["root"]?.value == .string("/srv/app"))
    #expect(prefix.connectors[1].options["root"]?.location.description == "infra.yaml:17:20")
  }

  @Test func unknownKeysAreReportedWithASuggestion() {
    let yaml = """
      version: 1
      hots:
        local: { connect: local }
      prefixes: {}
      """
    #expect(problems(yaml) == ["2:1: error: unknown key 'hots' in the top level of infra.yaml"])
    #expect(hints(yaml).first?.hasPrefix("did you mean 'hosts'?") == true)

    let nested = """
      version: 1
      hosts:
        web1:
          connect: local
          grups: [web]
      prefixes: {}
      """
    #expect(problems(nested) == ["5:5: error: unknown key 'grups' in host 'web1'"])
    #expect(hints(nested).first?.hasPrefix("did you mean 'groups'?") == true)
  }

  @Test func wrongTypesNameWhatWasExpected() {
    #expect(
      problems(
        """
        version: 1
        hosts:
          web1:
            connect: local
            groups: web
            sudo: maybe
        prefixes: {}
        """) == [
          "5:13: error: expected a list of names for 'groups', found a string",
          "6:11: error: expected true or false for 'sudo', found a string",
        ])
    #expect(
      problems(
        """
        version: 1
        hosts: [local]
        prefixes:
          prod:
            connectors: { name: files }
        """) == [
          "2:8: error: expected a mapping for 'hosts' (host names mapped to their settings), found a list",
          "5:17: error: expected a list for 'connectors' of prefix 'prod', found a mapping",
        ])
  }

  @Test func unknownHostsAndGroupsPointAtTheListItem() {
    let yaml = """
      version: 1
      hosts:
        web1: { connect: local, groups: [web] }
      prefixes:
        prod:
          connectors:
            - name: files
              hosts: [web2, "@db"]
      """
    #expect(
      problems(yaml) == [
        "8:17: error: connector 'files' names the unknown host 'web2'",
        "8:23: error: connector 'files' names the unknown group '@db'",
      ])
    #expect(
      hints(yaml) == [
        "did you mean 'web1'? known hosts: web1",
        "known groups: @all, @web",
      ])
  }

  @Test func twoConnectorsClaimingOneFolder() throws {
    let (_, diagnostics) = ConfigLoader.parse(
      """
      version: 1
      hosts:
        local: { connect: local }
      prefixes:
        prod:
          connectors:
            - name: files
            - name: files
              type: files
      """)
    let diagnostic = try #require(diagnostics.errors.first)
    #expect(diagnostics.count == 1)
    #expect(
      diagnostic.message == "two connectors of prefix 'prod' claim the folder resources/prod/files/"
    )
    #expect(diagnostic.location?.description == "infra.yaml:8:15")
    #expect(diagnostic.notes.first?.location?.description == "infra.yaml:7:15")
  }

  @Test func versionIsRequiredAndNotNewerThanSupported() {
    #expect(
      problems(
        """
        hosts:
          local: { connect: local }
        prefixes: {}
        """) == ["1:1: error: infra.yaml has no 'version'"])
    #expect(
      problems("version: 2\nprefixes: {}\n") == [
        "1:10: error: infra.yaml is version 2, but this build of infra reads version 1 at most"
      ])
    #expect(
      problems("version: \"1\"\nprefixes: {}\n") == [
        "1:10: error: expected an integer for 'version', found a string"
      ])
    #expect(
      problems("version: 0\nprefixes: {}\n") == ["1:10: error: there is no infra.yaml version 0"])
  }

  @Test func connectValuesAreChecked() {
    #expect(
      problems(
        """
        version: 1
        hosts:
          a: { connect: "ftp://x" }
          b: { groups: [web] }
          c: { connect: "ssh://me@host:99999" }
          d: { connect: "ssh://" }
        prefixes: {}
        """) == [
          "3:17: error: host 'a' has an invalid 'connect' value 'ftp://x': unknown transport 'ftp'",
          "4:6: error: host 'b' has no 'connect'",
          "5:17: error: host 'c' has an invalid 'connect' value 'ssh://me@host:99999': the port must be a number from 1 to 65535",
          "6:17: error: host 'd' has an invalid 'connect' value 'ssh://': the host name is empty",
        ])
  }

  @Test func namesMustBeFolderNames() {
    #expect(
      problems(
        """
        version: 1
        hosts:
          "web 1": { connect: local, groups: ["a/b"] }
          .hidden: { connect: local }
        prefixes:
          ../up:
            connectors: []
        """) == [
          "3:3: error: 'web 1' is not a valid host name: it contains ' '",
          "4:3: error: '.hidden' is not a valid host name: it must start with a letter or digit",
          "6:3: error: '../up' is not a valid prefix name: it must start with a letter or digit",
        ])
  }

  @Test func aHostAndAGroupCannotShareAName() {
    #expect(
      problems(
        """
        version: 1
        hosts:
          web: { connect: local, groups: [web] }
        prefixes: {}
        """) == ["3:3: error: 'web' names both a host and a group"])
  }

  @Test func missingSectionsAndExternalConnectorMistakes() {
    #expect(
      problems(
        """
        version: 1
        inventory:
          - run: [python3, hosts.py]
            tiemout: 5
          - env: { A: b }
          - run: []
        hosts: {}
        """) == [
          "1:1: error: infra.yaml has no 'prefixes'",
          "4:5: error: unknown key 'tiemout' in an inventory program",
          "5:5: error: an inventory program has no 'run'",
          "6:10: error: 'run' of an inventory program is empty",
        ])
    #expect(
      problems(
        """
        version: 1
        prefixes:
          prod:
            connectors:
              - type: files
              - name: cron
                run: []
              - name: web
                run: [python3, web.py]
                timeout: 0
                env: { A: { form: B }, C: d }
              - name: files
                env: { A: b }
          staging: {}
        """) == [
          "5:9: error: a connector of prefix 'prod' has no 'name'",
          "7:14: error: 'run' of connector 'cron' is empty",
          "10:18: error: 'timeout' must be at least 1 second",
          "11:19: error: 'A' of 'env' must be a value or `{ from: VARIABLE }`",
          "13:9: error: 'env' is for external connectors, and connector 'files' has no 'run' or 'package'",
          "14:12: error: prefix 'staging' has no 'connectors'",
        ])
  }

}
