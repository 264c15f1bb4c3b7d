import Foundation
import InfraTestSupport
import Testing

/// An external connector that says how to read and apply one resource with a command (the
/// example `json_settings.py`, through the SDK's `read_all` and `apply_all` and `host/run_many`)
/// makes the same number of round trips to a host for 1 resource as for 60, as the run's stats
/// count them; locally and over SSH.
@Suite struct ExternalBatchingEndToEndTests {
  @Test(arguments: [false, true])
  func roundTripsStayConstantWhateverTheNumberOfResources(overSSH: Bool) async throws {
    var trips: [Int: (plan: Int, apply: Int, again: Int)] = [:]
    for count in [1, 60] {
      trips[count] = try await roundTrips(resources: count, overSSH: overSSH)
    }
    #expect(trips[1]?.plan == 1, "one read per host: \(trips)")
    #expect(trips[1]?.apply == 3, "a read, then the files read and written once each: \(trips)")
    #expect(trips[60]?.plan == trips[1]?.plan && trips[60]?.apply == trips[1]?.apply, "\(trips)")
    #expect(trips[60]?.again == 1, "\(trips)")
  }

  /// Plans and applies `resources` settings files on one host; the connector's round trips
  /// of the plan, of the apply (its plan included) and of a plan after it.
  private func roundTrips(resources: Int, overSSH: Bool) async throws -> (Int, Int, Int) {
    let host = try FilesHost(
      "batching", overSSH: overSSH,
      connector: "{ name: json_settings, run: [python3, connectors/json_settings.py] }")
    let (repo, target) = (host.repo, host.target)
    let connectors = Infra.projectRoot.appending(path: "connectors")
    for name in ["json_settings.py", "infra_connector.py"] {
      _ = try repo.write(
        "connectors/\(name)",
        try String(contentsOf: connectors.appending(path: name), encoding: .utf8))
    }
    for index in 0..<resources {
      try repo.write(
        "resources/p/json_settings/box/app\(index).json",
        #"{"file": "\#(target.path)/app\#(index).json", "keys": {"server.port": \#(8000 + index), "log.level": "info"}}"#
      )
    }
    let scratch = try TemporaryFolder("batching-events")
    func trips(_ arguments: [String], _ name: String) async throws -> Int {
      let events = scratch.appending("\(name).jsonl").path
      let run = try await Infra.run(arguments + ["--events", events], in: repo.url)
      #expect(run.code == 0, "\(run)")
      let last = try #require(
        try String(contentsOfFile: events, encoding: .utf8).split(separator: "\n").last)
      let end = try #require(
        try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any])
      let stats = ((end["data"] as? [String: Any])?["stats"] as? [String: Any])?["box"]
      return ((stats as? [String: Any])?["round_trips"] as? [String: Int])?["p/json_settings"]
        ?? -1
    }
    let plan = try await trips(["plan"], "plan")
    let apply = try await trips(["apply", "--yes"], "apply")
    for index in [0, resources - 1] {
      let written = try target.readText("app\(index).json")
      #expect(written.contains("\"port\": \(8000 + index)"), "\(written)")
    }
    let again = try await trips(["plan", "--detailed-exitcode"], "again")
    withExtendedLifetime(host) {}
    return (plan, apply, again)
  }
}
