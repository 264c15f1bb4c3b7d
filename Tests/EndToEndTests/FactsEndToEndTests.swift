import Foundation
import InfraTestSupport
import Testing

/// A host's facts: gathered with the first command a run sends there (no round trip of their
/// own), kept in the run's events and artifacts, shown by `infra hosts --facts`, and read by
/// templates, over SSH as locally.
@Suite struct FactsEndToEndTests {
  @Test func theFactsOfThisMachine() async throws {
    let repo = try TemporaryFolder("facts-local")
    try repo.write(
      "infra.yaml",
      """
      version: 1
      hosts:
        here: { connect: local }
      prefixes: {}
      """)
    let json = try await Infra.run(["hosts", "--facts", "--json"], in: repo.url)
    #expect(json.code == 0, "\(json)")
    let all = try #require(
      try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
    let facts = try #require(all["here"] as? [String: Any], "\(json)")
    let hostname = try String(contentsOfFile: "/proc/sys/kernel/hostname", encoding: .utf8)
    #expect(facts["hostname"] as? String == hostname.trimmingCharacters(in: .newlines))
    #expect(facts["cpus"] as? Int == ProcessInfo.processInfo.activeProcessorCount)
    let memory = Int(ProcessInfo.processInfo.physicalMemory >> 20)
    #expect(abs((facts["memory_mib"] as? Int ?? 0) - memory) <= 1, "\(facts)")
    #expect((facts["os"] as? [String: String])?["id"] == "debian", "\(facts)")
    #expect(
      facts["architecture"] as? String == "x86_64" || facts["architecture"] as? String == "aarch64")
    let table = try await Infra.run(["hosts", "--facts"], in: repo.url)
    #expect(table.code == 0 && table.stdout.contains("facts.os.id"), "\(table)")
    #expect(table.stdout.contains("facts.os.version"), "\(table)")

    // A host that cannot be reached has no facts, and says why.
    try repo.write(
      "infra.yaml",
      """
      version: 1
      hosts:
        gone: { connect: "ssh://nobody@127.0.0.1:1", data: { ssh_connect_timeout: 5 } }
      prefixes: {}
      """)
    let gone = try await Infra.run(["hosts", "--facts"], in: repo.url)
    #expect(gone.code == 1 && gone.stdout.contains("cannot gather facts"), "\(gone)")
  }

  /// Over SSH, a plan whose template reads facts makes exactly the round trips it makes
  /// without them; the facts are in the run's events and its artifacts.
  @Test func factsOverSSHComeWithTheFirstRead() async throws {
    let server = try SSHServer()
    let repo = try TemporaryFolder("facts-ssh")
    let target = try SSHServer.ownedFolder("facts-ssh-target")
    let locks = try SSHServer.ownedFolder("facts-ssh-locks")
    try repo.write(
      "infra.yaml",
      """
      version: 1
      hosts:
      \(server.hostYAML("remote"))
      locks: { folder: \(locks.path) }
      prefixes:
        test:
          connectors:
            - name: files
              options: { root: \(target.path) }
      """)
    try repo.write(
      "resources/test/files/remote/etc/who.mustache",
      "{{host}} as {{facts.user}} on {{facts.hostname}} ({{facts.os.id}})\n")
    try repo.write("resources/test/files/remote/etc/plain", "plain\n")
    let events = repo.appending("events.jsonl")
    let plan = try await Infra.run(["plan", "--events", events.path], in: repo.url)
    #expect(plan.code == 0, "\(plan)")
    let hostname = try String(contentsOfFile: "/proc/sys/kernel/hostname", encoding: .utf8)
      .trimmingCharacters(in: .newlines)
    #expect(
      plan.stdout.contains("+remote as \(SSHServer.loginUser) on \(hostname) (debian)"), "\(plan)")
    let records = try String(contentsOf: events, encoding: .utf8).split(separator: "\n").map {
      try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
    }
    let factEvents = records.filter { $0["event"] as? String == "host_facts" }
    #expect(factEvents.count == 1)
    let gathered = try #require(
      (factEvents.first?["data"] as? [String: Any])?["facts"] as? [String: Any])
    #expect(gathered["user"] as? String == SSHServer.loginUser)
    let end = try #require(records.last?["data"] as? [String: Any])
    let stats = try #require((end["stats"] as? [String: Any])?["remote"] as? [String: Any])
    #expect(stats["round_trips"] as? [String: Int] == ["test/files": 1], "\(stats)")

    // The run's artifacts keep them, by host.
    let runs = repo.appending(".infra/runs")
    let run = try #require(try FileManager.default.contentsOfDirectory(atPath: runs.path).first)
    let kept = try Data(contentsOf: runs.appending(path: "\(run)/facts/remote.json"))
    let keptFacts = try #require(try JSONSerialization.jsonObject(with: kept) as? [String: Any])
    #expect(keptFacts["user"] as? String == SSHServer.loginUser)
    #expect(keptFacts["hostname"] as? String == hostname)

    let apply = try await Infra.run(["apply", "--yes"], in: repo.url)
    #expect(apply.code == 0, "\(apply)")
    #expect(
      try target.readText("etc/who") == "remote as \(SSHServer.loginUser) on \(hostname) (debian)\n"
    )
    let again = try await Infra.run(["plan"], in: repo.url)
    #expect(again.stdout.contains("2 unchanged"), "\(again)")

    // `infra hosts --facts HOST` gathers them on that host alone, in one round trip.
    let shown = try await Infra.run(["hosts", "--facts", "remote", "--json"], in: repo.url)
    #expect(shown.code == 0, "\(shown)")
    let all = try #require(
      try JSONSerialization.jsonObject(with: Data(shown.stdout.utf8)) as? [String: Any])
    let remote = try #require(all["remote"] as? [String: Any], "\(shown)")
    #expect(remote["user"] as? String == SSHServer.loginUser)
    #expect(remote["hostname"] as? String == hostname)
    let table = try await Infra.run(["hosts", "--facts", "remote"], in: repo.url)
    #expect(table.code == 0 && table.stdout.contains("facts.user"), "\(table)")
    #expect(table.stdout.contains(SSHServer.loginUser), "\(table)")
    withExtendedLifetime(server) {}
  }

  /// Locally too, a plan whose template reads facts makes no round trip for them.
  @Test func factsOfThisMachineComeWithTheFirstRead() async throws {
    let host = try FilesHost("facts-local-plan")
    try host.resource("etc/who.mustache", "{{host}} runs {{facts.os.id}}\n")
    let events = host.repo.appending("events.jsonl")
    let plan = try await host.infra("plan", "--events", events.path)
    #expect(plan.code == 0, "\(plan)")
    #expect(plan.stdout.contains("+box runs debian"), "\(plan)")
    let last = try #require(
      try String(contentsOf: events, encoding: .utf8).split(separator: "\n").last)
    let end = try #require(
      try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any])
    let stats = (end["data"] as? [String: Any])?["stats"] as? [String: Any]
    #expect(
      (stats?["box"] as? [String: Any])?["round_trips"] as? [String: Int] == ["p/files": 1],
      "\(String(describing: stats))")
  }
}
