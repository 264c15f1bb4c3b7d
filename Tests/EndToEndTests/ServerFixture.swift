import Foundation
import InfraTestSupport

/// A repository that manages one booted Debian test host, `web` (a `SystemHost` of the test's
/// own, reached over SSH as `infratest` with sudo), with the system connectors in their
/// natural order under prefix `srv`: packages, groups, users, services, files.
struct ServerFixture {
  let host: SystemHost
  let repo: TemporaryFolder
  let outputs: TemporaryFolder

  static let connectors = """
          - { name: packages, options: { update_cache: true, cache_valid_time: 0 } }
          - { name: groups }
          - { name: users }
          - { name: services }
          - { name: files }
    """

  init(systemd: Bool = true, connectors: String = ServerFixture.connectors) async throws {
    host = try await SystemHost(systemd: systemd)
    repo = try TemporaryFolder("server")
    outputs = try TemporaryFolder("server-outputs")
    try repo.write(
      "infra.yaml",
      """
      version: 1
      hosts:
      \(host.hostYAML("web"))
      prefixes:
        srv:
          connectors:
      \(connectors)
      """)
  }

  /// Writes a resource file below `resources/srv/`.
  func write(_ path: String, _ content: String) throws {
    try repo.write("resources/srv/\(path)", content)
  }

  func remove(_ path: String) throws {
    try FileManager.default.removeItem(at: repo.appending("resources/srv/\(path)"))
  }

  /// Runs `infra` in the repository.
  func infra(_ arguments: String...) async throws -> InfraRun {
    try await Infra.run(arguments, in: repo.url)
  }

  /// Runs `infra` with `--events`: the run, and the round trips each connector made to `web`.
  func measured(_ arguments: String...) async throws -> (InfraRun, [String: Int]) {
    let events = outputs.appending("\(UUID().uuidString).jsonl").path
    let run = try await Infra.run(arguments + ["--events", events], in: repo.url)
    let lines = (try? String(contentsOfFile: events, encoding: .utf8))?.split(separator: "\n") ?? []
    let end = lines.compactMap {
      try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
    }.last { $0["event"] as? String == "run_end" }
    let stats = (end?["data"] as? [String: Any])?["stats"] as? [String: Any]
    return (run, (stats?["web"] as? [String: Any])?["round_trips"] as? [String: Int] ?? [:])
  }
}
