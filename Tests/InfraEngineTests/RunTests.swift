import Foundation
import InfraCore
import InfraEngine
import InfraTestSupport
import InfraTransport
import Synchronization
import Testing

/// The run API driven from Swift, as an embedding program would: handlers, statuses, stats,
/// per-host events, cancel, timeout, approval and artifacts.
@Suite struct RunTests {
  let folder: TemporaryFolder
  let log = CallLog()

  init() throws {
    folder = try TemporaryFolder("runs")
    try folder.write(
      "infra.yaml",
      """
      version: 1
      hosts:
        web1: { connect: local }
        web2: { connect: local }
        db1: { connect: local }
      prefixes:
        prod:
          connectors:
            - name: first
              type: fake
      """)
  }

  func workspace(_ connector: FakeConnector) async throws -> Workspace {
    let outcome = await WorkspaceLoader(registry: ConnectorRegistry([FakeConnectorType(connector)]))
      .load(Repository(root: folder.url))
    return try #require(outcome.workspace, "\(outcome.diagnostics.all)")
  }

  /// A run of `job` with `connector` over fake transports, or over `transports`.
  func run<Job: RunJob>(
    _ job: Job, _ connector: FakeConnector, unreachable: Set<String> = [],
    transports: (any TransportProvider)? = nil,
    timeout: Duration? = nil, artifacts: RunArtifacts.Settings? = nil,
    onEvent: (@Sendable (RunEventRecord) -> Void)? = nil,
    onEvents: (@Sendable ([RunEventRecord]) -> Void)? = nil,
    onStatus: (@Sendable (RunStatus) -> Void)? = nil
  ) async throws -> Run<Job> {
    var settings = RunSettings(timeout: timeout, artifacts: artifacts)
    settings.transports = transports ?? FakeTransportProvider(log: log, unreachable: unreachable)
    return try Run(
      job, in: try await workspace(connector), settings: settings, onEvent: onEvent,
      onEvents: onEvents, onStatus: onStatus)
  }

  /// An apply that takes no locks.
  var apply: ApplyJob { ApplyJob(locking: nil) }

  @Test func aRunThatKeepsNoResourceEventsStillDeliversThemAll() async throws {
    for index in 0..<5 { try folder.write("resources/prod/first/web1/r\(index)", "new") }
    let records = Mutex<[RunEventRecord]>([])
    var settings = RunSettings()
    settings.keepsResourceEvents = false
    settings.transports = FakeTransportProvider(log: log)
    let run = try Run(
      apply, in: try await workspace(FakeConnector(log: log)), settings: settings,
      onEvent: { record in records.withLock { $0.append(record) } })
    let result = await run.start()

    #expect(result.status == .successful)
    let seen = records.withLock { $0 }
    #expect(seen.map(\.counter) == Array(1...seen.count), "counters count every event")
    #expect(seen.count { $0.event.name == "op_ok" } == 5)
    #expect(result.events.allSatisfy { $0.event.address == nil })
    #expect(result.events.map(\.counter) == seen.filter { $0.event.address == nil }.map(\.counter))
    #expect(result.events.last?.event.name == "run_end")
  }

  @Test func handlersSeeStatusesAndEventsInOrder() async throws {
    for index in 0..<5 { try folder.write("resources/prod/first/web1/r\(index)", "new") }
    let statuses = Mutex<[RunStatus]>([])
    let records = Mutex<[RunEventRecord]>([])
    let batches = Mutex<[[Int]]>([])
    let run = try await run(
      apply, FakeConnector(log: log),
      onEvent: { record in records.withLock { $0.append(record) } },
      onEvents: { batch in batches.withLock { $0.append(batch.map(\.counter)) } },
      onStatus: { status in statuses.withLock { $0.append(status) } })
    #expect(run.status == .unstarted)
    let result = await run.start()

    #expect(statuses.withLock { $0 } == [.starting, .running, .successful])
    #expect(run.status == .successful)
    #expect(result.status == .successful && result.rc == 0)
    let seen = records.withLock { $0 }
    #expect(seen.map(\.counter) == Array(1...seen.count), "handlers see events in counter order")
    #expect(seen.map(\.counter) == result.events.map(\.counter))
    #expect(
      batches.withLock { $0 }.flatMap { $0 } == seen.map(\.counter),
      "the batch handler sees the same events, in the same order")
    #expect(Set(seen.map(\.runID)) == [run.id])
    let names = seen.map(\.event.name)
    #expect(names.first == "run_start")
    #expect(names.last == "run_end")
    let planned = try #require(names.firstIndex(of: "plan_complete"))
    #expect(planned < (names.firstIndex(of: "op_start") ?? -1))
    #expect(names.count { $0 == "op_start" } == 5 && names.count { $0 == "op_ok" } == 5)
    for address in (0..<5).map({ "prod/first/web1/r\($0)" }) {
      let start = seen.firstIndex {
        $0.event.name == "op_start" && $0.event.address?.description == address
      }
      let ok = seen.firstIndex {
        $0.event.name == "op_ok" && $0.event.address?.description == address
      }
      #expect(start != nil && ok != nil && start! < ok!, "\(address) started before it ended")
    }
    for record in seen {
      #expect(String(decoding: record.line, as: UTF8.self) == record.json.serialized + "\n")
    }
  }

  /// A record's line, written key by key, is its JSON serialized: with a connector, an
  /// address, text that needs escaping, and a registered secret masked.
  @Test func aRecordsLineIsItsJSONMasked() throws {
    let secret = "line-secret-\(UUID().uuidString)"
    SecretMask.shared.register(secret)
    let record = RunEventRecord(
      runID: "20261207T000000.000Z-abc", counter: 12, time: Date(timeIntervalSince1970: 1.5),
      event: .connectorLog(
        host: "web\"1", connector: ConnectorID(prefix: "prod", name: "files"),
        transport: nil, level: .warning, message: "a\tb \\ \u{01} \(secret)",
        address: Address(prefix: "prod", segments: ["files", "web1", "etc", "x"])))
    let line = String(decoding: record.line, as: UTF8.self)
    #expect(line == SecretMask.shared.masked(record.json.serialized) + "\n")
    #expect(!line.contains(secret) && line.contains("\"time\":\"1970-01-01T00:00:01.500Z\""))
  }

  @Test func statsForAChangedAFailedAndAnUnreachableHost() async throws {
    try folder.write("resources/prod/first/web1/a", "new")
    try folder.write("resources/prod/first/web1/same", "1")
    try folder.write("resources/prod/first/web2/b", "new")
    try folder.write("resources/prod/first/db1/c", "new")
    let connector = FakeConnector(
      log: log, live: ["web1": ["first/web1/same": "1"]], failingOps: ["first/web2/b"])
    let result = try await run(apply, connector, unreachable: ["db1"]).start()

    #expect(result.status == .failed && result.rc == 1)
    func stats(_ host: String) -> String {
      guard let s = result.stats.first(where: { $0.host == host }) else { return "none" }
      return
        "ok \(s.ok) changed \(s.changed) failed \(s.failed) unreachable \(s.unreachable) unchanged \(s.unchanged) skipped \(s.skipped)"
    }
    #expect(result.stats.map(\.host) == ["web1", "web2", "db1"])
    #expect(stats("web1") == "ok 2 changed 1 failed 0 unreachable 0 unchanged 1 skipped 0")
    #expect(stats("web2") == "ok 0 changed 0 failed 1 unreachable 0 unchanged 0 skipped 0")
    #expect(stats("db1") == "ok 0 changed 0 failed 0 unreachable 1 unchanged 0 skipped 0")

    #expect(
      result.events(host: "web2").map(\.event.name) == [
        "host_connect", "resource_read", "change_planned", "op_start", "op_failed", "host_done",
      ])
    #expect(result.events(host: "db1").map(\.event.name) == ["host_unreachable", "host_done"])
    guard case .runEnd(let status, let rc, let endStats, _) = result.events.last?.event else {
      Issue.record("the last event is not run_end")
      return
    }
    #expect(status == .failed && rc == 1 && endStats == result.stats)
  }

  @Test func cancellingTheTaskLetsRunningOpsFinishAndStartsNoNewOne() async throws {
    for index in 0..<10 { try folder.write("resources/prod/first/web1/r\(index)", "new") }
    let connector = FakeConnector(log: log, holdOpsAfter: 2)
    let (applied, appliedContinuation) = AsyncStream.makeStream(of: Void.self)
    let run = try await run(
      apply, connector,
      onEvent: { record in
        if record.event.name == "op_ok" { appliedContinuation.yield() }
      })
    let task = Task { await run.start() }
    var iterator = applied.makeAsyncIterator()
    _ = await iterator.next()
    _ = await iterator.next()
    task.cancel()
    let result = await task.value

    #expect(result.status == .canceled && result.rc == 130)
    let names = result.events.map(\.event.name)
    let started = names.count { $0 == "op_start" }
    #expect(started >= 2 && started < 10)
    #expect(names.count { $0 == "op_ok" } == started, "every op that started also finished")
    #expect(log.all.count { $0.hasPrefix("apply") } == started)
    let skipped = result.events.compactMap { record -> String? in
      if case .opSkipped(_, let reason) = record.event { reason } else { nil }
    }
    #expect(skipped.count == 10 - started)
    #expect(Set(skipped) == ["the run was canceled before it started"])
    #expect(result.stats.first?.skipped == 10 - started)
  }

  @Test func aTimeoutEndsTheRunAsTimeout() async throws {
    for index in 0..<10 { try folder.write("resources/prod/first/web1/r\(index)", "new") }
    let connector = FakeConnector(log: log, holdOpsAfter: 0)
    let result = try await run(apply, connector, timeout: .milliseconds(350)).start()
    #expect(result.status == .timeout && result.rc == 124)
    // The first op runs until the run is asked to stop, so the timeout finds it running (or,
    // on a very busy machine, finds the plan still being made): either way what started
    // finished, and every change not made is skipped, for the right reason.
    let names = result.events.map(\.event.name)
    let applied = names.count { $0 == "op_ok" }
    #expect(applied == names.count { $0 == "op_start" } && applied <= 1)
    #expect(result.stats.first?.skipped == 10 - applied)
    let reasons = result.events.compactMap { record -> String? in
      if case .opSkipped(_, let reason) = record.event { reason } else { nil }
    }
    #expect(reasons.allSatisfy { $0 == "the run timed out before it started" })
  }

  @Test func aDeclinedApprovalChangesNothing() async throws {
    try folder.write("resources/prod/first/web1/a", "new")
    let seen = Mutex<Int>(0)
    let declining = ApplyJob(
      approve: { plan in
        seen.withLock { $0 = plan.changes.count }
        return false
      }, locking: nil)
    let result = try await run(declining, FakeConnector(log: log)).start()
    #expect(seen.withLock { $0 } == 1)
    #expect(result.status == .canceled && result.rc == 1)
    #expect(result.declined && result.output.applied == nil)
    #expect(!log.all.contains { $0.hasPrefix("apply") })
    #expect(result.stats.first?.skipped == 1)
  }

  @Test func aPlanRunReadsButNeverApplies() async throws {
    try folder.write("resources/prod/first/web1/a", "new")
    try folder.write("resources/prod/first/web2/b", "new")
    let result = try await run(PlanJob(), FakeConnector(log: log)).start()
    #expect(result.status == .successful)
    #expect(result.output.changes.count == 2)
    #expect(result.stats.map(\.changed) == [1, 1])
    #expect(!log.all.contains { $0.hasPrefix("apply") })
    #expect(!result.events.contains { $0.event.name.hasPrefix("op_") })
  }

  @Test func artifactsAreWrittenAsTheRunGoesAndRotated() async throws {
    try folder.write("resources/prod/first/web1/a", "new")
    let root = folder.appending(".infra/runs")
    let settings = RunArtifacts.Settings(root: root, keep: 2, command: ["infra", "apply", "it's"])
    var last: RunResult<ApplyOutput>?
    for _ in 0..<3 {
      last = try await run(apply, FakeConnector(log: log), artifacts: settings).start()
    }
    let result = try #require(last)
    let runs = try FileManager.default.contentsOfDirectory(atPath: root.path).sorted()
    #expect(runs.count == 2)
    #expect(runs.last == result.id)
    let artifacts = try #require(result.artifacts)
    func text(_ name: String) throws -> String {
      try String(contentsOf: artifacts.appending(path: name), encoding: .utf8)
    }
    #expect(try text("status") == "successful\n")
    #expect(try text("rc") == "0\n")
    #expect(try text("command") == "infra apply 'it'\\''s'\n")
    let plan = try PlanDocument.decode(try Data(contentsOf: artifacts.appending(path: "plan.json")))
    #expect(plan.summary.create == 1)
    let lines = try text("events.jsonl").split(separator: "\n")
    #expect(lines.count == result.events.count)
    let counters = try lines.map { line -> Int in
      let object = try #require(
        try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
      #expect(object["run_id"] as? String == result.id)
      return try #require(object["counter"] as? Int)
    }
    #expect(counters == Array(1...lines.count))
  }
}
