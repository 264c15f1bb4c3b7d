import Foundation
import InfraCore
import InfraTestSupport
import Testing

@testable import InfraEngine

/// A host's facts: read from what the facts script prints, gathered by a run over a real
/// transport, and given by the run API and the run's artifacts.
@Suite struct HostFactsTests {
  @Test func theFactsScriptsOutputIsRead() {
    let output = """
      uname\tLinux web1 6.1.0-18-amd64 x86_64
      cpus\t4
      user\tdeploy
      mem\tMemTotal:       8165432 kB
      os\tPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
      os\tNAME="Debian \\"GNU\\"/Linux"
      os\tVERSION_ID="12"
      os\tVERSION_CODENAME=bookworm
      os\tID=debian
      os\tHOME_URL="https://www.debian.org/"
      stray line
      """
    let facts = HostFacts.parse(Substring(output))
    #expect(facts.hostname == "web1" && facts.kernel == "Linux")
    #expect(facts.kernelRelease == "6.1.0-18-amd64" && facts.architecture == "x86_64")
    #expect(facts.cpus == 4 && facts.user == "deploy" && facts.memoryMiB == 7974)
    #expect(
      facts.os == [
        "pretty_name": "Debian GNU/Linux 12 (bookworm)", "name": #"Debian "GNU"/Linux"#,
        "version": "12", "codename": "bookworm", "id": "debian",
      ])
    #expect(HostFacts(json: facts.json) == facts)
    // A host that could tell nothing has no facts but the (empty) os.
    #expect(HostFacts.parse("").json == .object(["os": .object([:])]))
  }

  /// ansible-runner's `get_fact_cache`: the facts of a host, from the run while it goes, from
  /// its result, and from its artifacts folder afterwards; of this machine and of an SSH host.
  @Test(arguments: [false, true])
  func aRunGivesTheFactsOfItsHosts(overSSH: Bool) async throws {
    let server = overSSH ? try SSHServer() : nil
    let folder = try TemporaryFolder("facts-run")
    try folder.write(
      "infra.yaml",
      """
      version: 1
      hosts:
      \(server?.hostYAML("here") ?? "  here: { connect: local }")
      prefixes: {}
      """)
    let outcome = await WorkspaceLoader(registry: ConnectorRegistry([]))
      .load(Repository(root: folder.url))
    let workspace = try #require(outcome.workspace, "\(outcome.diagnostics.all)")
    let artifacts = RunArtifacts.Settings(
      root: folder.url.appending(path: "runs"), keep: 5, command: ["test"])
    let run = try Run(
      FactsJob(workspace.inventory.hosts), in: workspace,
      settings: RunSettings(artifacts: artifacts))
    #expect(run.facts(of: "here") == nil)
    let result = await run.start()
    #expect(result.status == .successful)
    let facts = try #require(run.facts(of: "here"))
    let hostname = try String(contentsOfFile: "/proc/sys/kernel/hostname", encoding: .utf8)
    #expect(facts.hostname == hostname.trimmingCharacters(in: .whitespacesAndNewlines))
    #expect(facts.cpus == ProcessInfo.processInfo.activeProcessorCount)
    #expect(facts.os["id"] != nil && (facts.memoryMiB ?? 0) > 0)
    #expect(facts.user == (overSSH ? SSHServer.loginUser : NSUserName()))
    #expect(result.facts == ["here": facts])
    let kept = RunArtifacts.facts(in: try #require(result.artifacts))
    #expect(kept == ["here": facts])
    // Gathered in one command of its own: nothing else ran on the host.
    let stats = try #require(result.stats.first)
    #expect(stats.roundTrips == ["facts": 1], "\(stats)")
    withExtendedLifetime(server) {}
  }
}
