import Foundation
import InfraTestSupport
import Testing

/// `--json` where a program reads the output: hosts, connectors, validate and run.
@Suite struct JSONOutputEndToEndTests {
  func object(_ run: InfraRun) throws -> Any {
    try JSONSerialization.jsonObject(with: Data(run.stdout.utf8))
  }

  @Test func listingsAndChecksHaveJSON() async throws {
    let repo = try TestRepository("json-output")
    try repo.writeConfig()
    try repo.resource("local/etc/motd", "hello\n")
    let root = repo.root.url

    let hosts = try #require(
      try object(try await Infra.run(["hosts", "--json"], in: root)) as? [[String: Any]])
    #expect(hosts.first?["name"] as? String == "local")
    #expect(hosts.first?["connect"] as? String == "local")
    #expect((hosts.first?["groups"] as? [String])?.contains("web") == true)

    let connectors = try #require(
      try object(try await Infra.run(["connectors", "--json"], in: root)) as? [String: Any])
    let enabled = try #require((connectors["connectors"] as? [[String: Any]])?.first)
    #expect(enabled["type"] as? String == "files" && enabled["resources"] as? Int == 1)
    let types = try #require(connectors["types"] as? [[String: Any]])
    #expect(types.contains { $0["type"] as? String == "files" && $0["enabled"] as? Bool == true })

    let valid = try await Infra.run(["validate", "--json"], in: root)
    #expect(valid.code == 0, "\(valid)")
    let report = try #require(try object(valid) as? [String: Any])
    #expect(report["valid"] as? Bool == true && report["resources"] as? Int == 1)

    let run = try await Infra.run(["run", "--json", "local", "--", "echo", "hi"], in: root)
    #expect(run.code == 0, "\(run)")
    let outcomes = try #require(try object(run) as? [[String: Any]])
    #expect(outcomes.first?["status"] as? String == "exited")
    #expect(
      outcomes.first?["exit_code"] as? Int == 0 && outcomes.first?["stdout"] as? String == "hi\n")
  }

  @Test func anInvalidRepositoryIsReportedAsJSONWithEachPlace() async throws {
    let repo = try TestRepository("json-invalid")
    try repo.root.write(
      "infra.yaml", "version: 1\nhosts:\n  local: { connect: lcoal }\nprefixes: {}\n")
    let invalid = try await Infra.run(["validate", "--json"], in: repo.root.url)
    #expect(invalid.code == 1, "\(invalid)")
    let report = try #require(try object(invalid) as? [String: Any])
    #expect(report["valid"] as? Bool == false)
    let first = try #require((report["diagnostics"] as? [[String: Any]])?.first)
    #expect(first["severity"] as? String == "error" && first["file"] as? String == "infra.yaml")
    #expect(first["line"] as? Int == 3, "\(first)")
  }
}
