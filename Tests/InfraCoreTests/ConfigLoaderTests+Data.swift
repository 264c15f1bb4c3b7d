import Foundation
import InfraCore
import Testing

/// `defaults:` and `groups:` data: laid under each host's own in a stated order, with where
/// each value came from, SSH settings included.
extension ConfigLoaderTests {
  static let layeredConfig = """
    version: 1
    defaults:
      data: { region: eu, tier: basic, ssh_connect_timeout: 5, ssh_options: { A: b } }
    groups:
      web: { data: { tier: web, port: 8080 } }
      canary: { data: { tier: canary, ssh_known_hosts_file: /k } }
    hosts:
      web1: { connect: local, groups: [web, canary], data: { port: 9090 } }
      web2: { connect: local, groups: [canary, web], data: { ssh_connect_timeout: 7 } }
      db1: { connect: local }
    prefixes: {}
    """

  @Test func aHostsDataIsItsOwnOverItsGroupsOverTheDefaults() throws {
    let (config, diagnostics) = ConfigLoader.parse(Self.layeredConfig)
    #expect(diagnostics.all.isEmpty, "\(diagnostics.all)")
    let hosts = Dictionary(uniqueKeysWithValues: (config?.hosts ?? []).map { ($0.name, $0) })
    let web1 = try #require(hosts["web1"])
    #expect(web1.data["port"] == .int(9090) && web1.dataSources["port"] == "host")
    // A group the host lists later wins over one it lists earlier.
    #expect(web1.data["tier"] == .string("canary") && web1.dataSources["tier"] == "group canary")
    #expect(hosts["web2"]?.data["tier"] == .string("web"))
    #expect(web1.data["region"] == .string("eu") && web1.dataSources["region"] == "defaults")
    #expect(hosts["db1"]?.data["tier"] == .string("basic"))
    // SSH settings are layered the same way, key by key.
    #expect(web1.ssh.connectTimeout == 5 && web1.ssh.knownHostsFile == "/k")
    #expect(web1.ssh.options == ["A": "b"])
    #expect(hosts["web2"]?.ssh.connectTimeout == 7)
    #expect(hosts["db1"]?.ssh.knownHostsFile == nil)
  }

  @Test func mistakesInDefaultsAndGroupsAreLocated() {
    #expect(
      problems(
        """
        version: 1
        defaults: { date: {} }
        groups:
          all: { data: {} }
          webb: { data: { ssh_conect_timeout: 3 } }
          web: { data: [] }
        hosts:
          web1: { connect: local, groups: [web] }
        prefixes: {}
        """) == [
          "2:13: error: unknown key 'date' in 'defaults'",
          "4:3: error: 'all' is every host, not a group of some",
          "5:3: warning: group 'webb' has data, but no host is in it",
          "5:19: error: unknown SSH setting 'ssh_conect_timeout' in the data of group 'webb'",
          "6:16: error: expected a mapping for 'data' of group 'web', found a list",
        ])
  }
}
