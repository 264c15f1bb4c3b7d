import Foundation
import InfraTestSupport
import Testing

/// Data and SSH settings written once for every host (`defaults:`) or a group (`groups:`),
/// as `infra hosts --data` shows them and as a real SSH connection uses them.
@Suite struct HostDataEndToEndTests {
  @Test func mergedDataSaysWhereEachValueComesFrom() async throws {
    let repo = try TemporaryFolder("host-data")
    try repo.write(
      "infra.yaml",
      """
      version: 1
      defaults:
        data: { region: eu, tier: basic }
      groups:
        web: { data: { tier: web, port: 8080 } }
      hosts:
        web1: { connect: local, groups: [web], data: { port: 9090 } }
        db1: { connect: local }
      prefixes: {}
      """)
    let table = try await Infra.run(["hosts", "--data", "web1"], in: repo.url)
    #expect(table.code == 0, "\(table)")
    let rows = table.stdout.split(separator: "\n").map {
      $0.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
    }
    #expect(
      rows == [
        "web1", "KEY VALUE FROM", "port 9090 host", "region \"eu\" defaults",
        "tier \"web\" group web",
      ],
      "\(table)")
    let json = try await Infra.run(["hosts", "--json", "db1"], in: repo.url)
    let hosts = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]]
    #expect(hosts?.first?["data"] as? [String: String] == ["region": "eu", "tier": "basic"])
    #expect(
      hosts?.first?["data_sources"] as? [String: String] == [
        "region": "defaults", "tier": "defaults",
      ])
  }

  /// SSH settings written once for a group reach each of its hosts: a real login with them.
  @Test func aGroupsSSHSettingsReachItsHosts() async throws {
    let server = try SSHServer()
    let repo = try TemporaryFolder("host-data-ssh")
    try repo.write(
      "infra.yaml",
      """
      version: 1
      groups:
        far:
          data: { ssh_identity_file: \(server.clientKey), ssh_known_hosts_file: \(server.knownHosts), ssh_persist: 0 }
      hosts:
        box: { connect: "ssh://\(SSHServer.loginUser)@127.0.0.1:\(server.port)", groups: [far] }
      prefixes: {}
      """)
    let run = try await Infra.run(["run", "box", "--", "echo", "reached"], in: repo.url)
    #expect(run.code == 0 && run.stdout.contains("reached"), "\(run)")
    withExtendedLifetime(server) {}
  }
}
