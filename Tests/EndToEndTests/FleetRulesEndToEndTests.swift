import Foundation
import InfraTestSupport
import InfraTransport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// One set of rules for the work on hosts, shown in every command that touches them (plan,
/// apply, apply of a saved plan, pull, import, run, unlock), with the built binary against a
/// transport program and a real sshd: an unreachable host gives the same event, stats and
/// wording everywhere; what programs log reaches the run's events; round trips are counted;
/// Ctrl-C stops the run and leaves no program or connection behind.
@Suite struct FleetRulesEndToEndTests {
  typealias Command = FleetFixture.Command

  @Test(arguments: Command.allCases)
  func anUnreachableHostIsReportedTheSameWayEverywhere(_ command: Command) async throws {
    let fixture = try FleetFixture()
    try await fixture.prepare(command)
    fixture.server.stop()  // far goes down: its port now refuses connections
    let run = try await Infra.run(fixture.arguments(command), in: fixture.repo.url)
    #expect(run.code == 1, "\(run)")
    let reason =
      "connection refused by 127.0.0.1:\(fixture.server.port): is sshd running and listening there?"
    let events = try fixture.readEvents()

    // One event, with the reason.
    let unreachable = events.filter { $0["event"] as? String == "host_unreachable" }
    #expect(unreachable.count == 1, "\(unreachable)")
    #expect(unreachable.first?["host"] as? String == "far")
    #expect((unreachable.first?["data"] as? [String: Any])?["reason"] as? String == reason)

    // The same stats: what far had to do is unreachable, and nothing else is counted.
    let stats = try #require(fixture.stats(events, "far"), "\(events.last ?? [:])")
    #expect((stats["unreachable"] as? Int ?? 0) >= 1, "\(stats)")
    for key in ["ok", "changed", "failed", "skipped", "unchanged"] {
      #expect(stats[key] as? Int == 0, "\(key) of \(stats)")
    }
    #expect((stats["round_trips"] as? [String: Any])?.isEmpty == true)
    let done = events.last {
      $0["event"] as? String == "host_done" && $0["host"] as? String == "far"
    }
    let announced = try #require((done?["data"] as? [String: Any])?["stats"] as? [String: Any])
    #expect(try json(announced) == json(stats), "host_done and run_end say the same")

    // The same words for people.
    #expect((run.stdout + run.stderr).contains("host far is unreachable: \(reason)"), "\(run)")
    try validate(fixture.events)
  }

  /// An external connector whose host goes away under its apply: the op fails, and the host
  /// is unreachable in the events and stats, as with the builtin connectors.
  @Test func aHostLostUnderAnExternalConnectorsApplyIsUnreachable() async throws {
    let fixture = try FleetFixture()
    try fixture.probe.write("hold-far", "")
    let infra = try ChildProcess.start(
      Infra.binary.path, fixture.arguments(.apply), directory: fixture.repo.path,
      environment: Infra.environment(scratch: fixture.scratch),
      stdout: try fixture.scratch.write("stdout", "").path)
    for _ in 0..<6000 where infra.ended == nil && !fixture.probe.exists("applying-far") {
      try await Task.sleep(for: .milliseconds(10))
    }
    try #require(fixture.probe.exists("applying-far"), "the notes of far were never applied")
    fixture.server.cut()
    try FileManager.default.removeItem(at: fixture.probe.appending("hold-far"))
    let code = await infra.waitForExit().code
    let output = try fixture.scratch.readText("stdout")
    #expect(code == 1, "\(output)")
    let events = try fixture.readEvents()
    let unreachable = events.filter {
      $0["event"] as? String == "host_unreachable" && $0["host"] as? String == "far"
    }
    #expect(unreachable.count == 1, "\(output)")
    let stats = try #require(fixture.stats(events, "far"))
    #expect(
      ["changed", "failed", "skipped", "unreachable"].map { stats[$0] as? Int } == [1, 1, 0, 1],
      "\(stats)")
    #expect(output.contains("ops/notes/far/far-note on far: failed"), "\(output)")
    #expect(output.contains("host far is unreachable"), "\(output)")
    try validate(fixture.events)
  }

  @Test(arguments: Command.allCases)
  func programsLogIntoTheRunAndRoundTripsAreCounted(_ command: Command) async throws {
    let fixture = try FleetFixture()
    try await fixture.prepare(command)
    let run = try await Infra.run(fixture.arguments(command), in: fixture.repo.url)
    #expect(run.code == (command == .pull ? 1 : 0), "\(run)")
    let events = try fixture.readEvents()
    let logs = events.filter { $0["event"] as? String == "connector_log" }

    // The transport program's lines, about its host.
    #expect(
      logs.contains {
        $0["host"] as? String == "box"
          && ($0["data"] as? [String: Any])?["transport"] as? String == "probe"
      }, "\(logs)")
    // The connector's lines, about the host of its call, on every host.
    if command.usesConnectors {
      for host in ["box", "far"] {
        #expect(
          logs.contains {
            $0["host"] as? String == host && $0["connector"] as? String == "ops/notes"
          },
          "\(host): \(logs)")
      }
    }

    // Round trips, by who made them.
    let expected: [String] =
      switch command {
      case .plan, .pull: ["ops/files", "ops/notes"]
      case .apply, .savedApply: ["lock", "ops/files", "ops/notes"]
      case .import: ["ops/notes"]
      case .run: ["command"]
      case .unlock: ["lock"]
      }
    for host in ["box", "far"] {
      let trips = fixture.stats(events, host)?["round_trips"] as? [String: Int] ?? [:]
      #expect(trips.keys.sorted() == expected, "\(host): \(trips)")
      #expect(trips.values.allSatisfy { $0 > 0 })
    }
    try validate(fixture.events)
  }

  /// With every command of the transport hanging, Ctrl-C as soon as the run is stuck: it ends
  /// canceled, and neither the programs nor the SSH connection outlive it.
  @Test(arguments: Command.allCases)
  func ctrlCStopsEachCommandAndLeavesNothingRunning(_ command: Command) async throws {
    let fixture = try FleetFixture()
    try await fixture.prepare(command)
    try fixture.probe.write("hang", "")
    let output = fixture.scratch.appending("output").path
    let infra = try ChildProcess.start(
      Infra.binary.path, fixture.arguments(command), directory: fixture.repo.path,
      environment: Infra.environment(scratch: fixture.scratch), stdout: output, stderr: output)
    // The run is stuck once the transport says it hangs; only then is it interrupted.
    var stuck = false
    for _ in 0..<600 where !stuck {
      stuck = ((try? fixture.readEvents()) ?? []).contains {
        ($0["data"] as? [String: Any])?["message"] as? String == "hanging"
      }
      if !stuck { try await Task.sleep(for: .milliseconds(50)) }
    }
    #expect(stuck, "the transport never hung: \((try? fixture.scratch.readText("output")) ?? "")")
    let clock = ContinuousClock()
    let interrupted = clock.now
    kill(infra.pid, SIGINT)  // to infra alone, as a terminal's Ctrl-C reaches it
    // A guard, not a measure: a run that waited for its programs' timeouts (an hour) fails.
    Thread.detachNewThread {
      Thread.sleep(forTimeInterval: 60)
      infra.signal(SIGKILL)
    }
    let code = await infra.waitForExit().code
    let took = clock.now - interrupted
    let said = try fixture.scratch.readText("output")
    #expect(code == 130, "after \(took): \(said)")

    let end = try fixture.readEvents().last
    #expect(end?["event"] as? String == "run_end")
    #expect((end?["data"] as? [String: Any])?["status"] as? String == "canceled")
    for program in try fixture.programPIDs() {
      #expect(!isRunning(program), "program \(program) outlived infra")
    }
    let logins = try await fixture.server.endedLogins()
    #expect(logins.logins == logins.ended, "an SSH login outlived infra: \(logins)")
  }

  private func json(_ object: [String: Any]) throws -> Data {
    try JSONSerialization.data(withJSONObject: object, options: .sortedKeys)
  }

  /// Checks every event against the published schema.
  private func validate(_ events: String) throws {
    let project = Infra.projectRoot
    let scratch = try TemporaryFolder("fleet-validation")
    let report = scratch.appending("report").path
    let code = try ChildProcess.run(
      "/usr/bin/env",
      [
        "python3", project.appending(path: "scripts/validate-events").path,
        project.appending(path: "docs/schemas/events-v1.schema.json").path, events,
      ], stdout: report, stderr: report)
    let said = try scratch.readText("report")
    #expect(code == 0, "\(said)")
  }
}
