import Foundation
import InfraCore
import InfraEngine
import InfraTestSupport
import InfraTransport
import Testing

/// The engine against a recording fake connector and fake transports: ordering, batching,
/// failure isolation and stats, without touching any real host.
@Suite struct EngineTests {
  let folder: TemporaryFolder
  let log = CallLog()

  init() throws {
    folder = try TemporaryFolder("engine")
    try folder.write(
      "infra.yaml",
      """
      version: 1
      hosts:
        web1: { connect: local, groups: [web] }
        web2: { connect: local, groups: [web] }
        db1: { connect: local }
      prefixes:
        prod:
          connectors:
            - name: first
              type: fake
            - name: second
              type: fake
              options: { retries: 3 }
      """)
  }

  func load(_ connector: FakeConnector) async -> WorkspaceLoader.Outcome {
    await WorkspaceLoader(registry: ConnectorRegistry([FakeConnectorType(connector)]))
      .load(Repository(root: folder.url))
  }

  func workspace(_ connector: FakeConnector) async throws -> Workspace {
    let outcome = await load(connector)
    return try #require(outcome.workspace, "\(outcome.diagnostics.all)")
  }

  /// Plans with `connector` over fake transports, and applies the plan when asked to, as runs;
  /// every connection is closed afterwards.
  func run(
    _ connector: FakeConnector, unreachable: Set<String> = [], only: [AddressPattern] = [],
    apply: Bool = false
  ) async throws -> (Plan, ApplyResult?) {
    let workspace = try await workspace(connector)
    var settings = RunSettings()
    settings.transports = FakeTransportProvider(log: log, unreachable: unreachable)
    let selection = PlanSelection(only: only)
    guard apply else {
      return (
        try await Run(PlanJob(selection), in: workspace, settings: settings).start().output, nil
      )
    }
    let result = try await Run(ApplyJob(selection, locking: nil), in: workspace, settings: settings)
      .start()
    return (result.output.plan, result.output.applied)
  }

  @Test func loadingDecodesResourcesAndFillsOptionDefaults() async throws {
    try folder.write("resources/prod/first/web1/a", "1")
    try folder.write("resources/prod/first/stray", "?")
    let outcome = await load(FakeConnector(log: log))
    let workspace = try #require(outcome.workspace)
    #expect(workspace.connectors.map(\.id.description) == ["prod/first", "prod/second"])
    #expect(workspace.connectors[0].resources.map(\.address.path) == ["first/web1/a"])
    #expect(workspace.connectors[0].options["flavour"]?.value == .string("plain"))
    #expect(workspace.connectors[1].options["retries"]?.value == .int(3))
    #expect(
      outcome.diagnostics.warnings.map(\.message) == [
        "resources/prod/first/stray is not claimed by connector 'first': it is not in a host folder, so it is not managed"
      ])
  }

  @Test func connectorTypesAndOptionsAreCheckedWithTheConfig() async throws {
    try folder.write(
      "infra.yaml",
      """
      version: 1
      hosts:
        web1: { connect: local }
      prefixes:
        prod:
          connectors:
            - name: first
              type: fkae
            - name: second
              type: fake
              options: { retires: 3, flavour: 7 }
            - name: third
              type: fake
              hosts: [nobody]
      """)
    let outcome = await load(FakeConnector(log: log))
    #expect(outcome.workspace == nil)
    #expect(
      outcome.diagnostics.errors.map {
        "\($0.location?.line ?? 0):\($0.location?.column ?? 0) \($0.message)"
      } == [
        "8:15 there is no connector type 'fkae'",
        "11:20 unknown option 'retires' for connector 'second'",
        "11:32 option 'flavour' of connector 'second' must be a string, not an integer",
        "14:17 connector 'third' names the unknown host 'nobody'",
      ])
    #expect(outcome.diagnostics.errors[0].hint?.hasPrefix("did you mean 'fake'?") == true)
    #expect(outcome.diagnostics.errors[1].hint?.hasPrefix("did you mean 'retries'?") == true)
  }

  @Test func planningComparesEveryHostAndOrdersChangesByAddress() async throws {
    try folder.write("resources/prod/first/web1/a", "new")
    try folder.write("resources/prod/first/web2/a", "same")
    try folder.write("resources/prod/first/web2/b", "absent")
    try folder.write("resources/prod/second/db1/c", "fresh")
    let connector = FakeConnector(
      log: log,
      live: [
        "web1": ["first/web1/a": "old"], "web2": ["first/web2/a": "same", "first/web2/b": "x"],
      ])
    let (plan, _) = try await run(connector)

    #expect(
      plan.changes.map { "\($0.action.rawValue) \($0.address) \($0.host)" } == [
        "update prod/first/web1/a web1",
        "delete prod/first/web2/b web2",
        "create prod/second/db1/c db1",
      ])
    #expect(plan.unchanged.map(\.address.path) == ["first/web2/a"])
    #expect(plan.summary == Plan.Summary(create: 1, update: 1, delete: 1, unchanged: 1, failed: 0))
    #expect(plan.changes[0].liveFingerprint == "old")
    #expect(plan.changes[0].sources == ["resources/prod/first/web1/a"])
    // One read per connector and host, with all of that host's resources at once.
    #expect(
      log.all.filter { $0.hasPrefix("read") }.sorted() == [
        "read db1 second/db1/c", "read web1 first/web1/a", "read web2 first/web2/a,first/web2/b",
      ])
    #expect(log.all.filter { $0.hasPrefix("connect") }.count == 3)
    #expect(log.all.filter { $0.hasPrefix("disconnect") }.count == 3)
  }

  @Test func anUnreachableHostOrAFailedReadDoesNotStopTheOthers() async throws {
    try folder.write("resources/prod/first/web1/a", "1")
    try folder.write("resources/prod/first/web2/a", "1")
    try folder.write("resources/prod/second/web2/b", "1")
    try folder.write("resources/prod/first/db1/a", "1")
    try folder.write("resources/prod/first/db1/b", "1")
    let connector = FakeConnector(log: log, failingReads: ["db1"])
    let (plan, _) = try await run(connector, unreachable: ["web1"])

    #expect(
      plan.changes.map { "\($0.address) \($0.host)" } == [
        "prod/first/web2/a web2", "prod/second/web2/b web2",
      ])
    #expect(
      plan.failures.map(\.description).sorted() == [
        "host web1 is unreachable: connection refused",
        "prod/first on db1: command failed on db1 with exit code 1: disk on fire (command: read)",
      ])
    #expect(plan.summary.failed == 3)
  }

  @Test func pathsLimitThePlan() async throws {
    try folder.write("resources/prod/first/web1/a", "1")
    try folder.write("resources/prod/first/web2/a", "1")
    try folder.write("resources/prod/second/web1/z", "1")
    let (plan, _) = try await run(
      FakeConnector(log: log), only: [AddressPattern(prefix: "prod", segments: ["first", "web1"])])
    #expect(plan.changes.map(\.address.description) == ["prod/first/web1/a"])
    #expect(!log.all.contains { $0.contains("web2") })
  }

  @Test func applyRunsConnectorsInOrderWithDeletesLastAndReversed() async throws {
    try folder.write("resources/prod/first/web1/create", "1")
    try folder.write("resources/prod/first/web1/gone", "absent")
    try folder.write("resources/prod/second/web1/update", "2")
    try folder.write("resources/prod/second/web1/gone", "absent")
    let connector = FakeConnector(
      log: log,
      live: ["web1": ["first/web1/gone": "x", "second/web1/update": "1", "second/web1/gone": "x"]])
    let result = try #require(try await run(connector, apply: true).1)

    #expect(
      log.all.filter { $0.hasPrefix("apply") } == [
        "apply web1 create first/web1/create",
        "apply web1 update second/web1/update",
        "apply web1 delete second/web1/gone",
        "apply web1 delete first/web1/gone",
      ])
    #expect(result.succeeded)
    #expect(result.changedCount == 4)
    // The plan connected once; apply reused the connection.
    #expect(log.all.filter { $0 == "connect web1" }.count == 1)
  }

  @Test func aFailedOpStopsItsHostButNotTheOthers() async throws {
    for host in ["web1", "web2"] {
      try folder.write("resources/prod/first/\(host)/a", "1")
      try folder.write("resources/prod/first/\(host)/b", "1")
      try folder.write("resources/prod/second/\(host)/c", "1")
    }
    try folder.write("resources/prod/first/web1/same", "1")
    let connector = FakeConnector(
      log: log, live: ["web1": ["first/web1/same": "1"]], failingOps: ["first/web1/a"])
    let result = try #require(try await run(connector, apply: true).1)

    #expect(!result.succeeded)
    let statuses = result.outcomes.map { outcome -> String in
      let status =
        switch outcome.status {
        case .applied: "applied"
        case .failed(let message): "failed: \(message)"
        case .skipped(let reason): "skipped: \(reason)"
        }
      return "\(outcome.change.address) \(outcome.change.host) \(status)"
    }
    #expect(
      statuses == [
        "prod/first/web1/a web1 failed: it broke",
        "prod/first/web1/b web1 skipped: not applied because prod/first/web1/a failed on web1",
        "prod/second/web1/c web1 skipped: not applied because prod/first/web1/a failed on web1",
        "prod/first/web2/a web2 applied",
        "prod/first/web2/b web2 applied",
        "prod/second/web2/c web2 applied",
      ])
    #expect(!log.all.contains("apply web1 create second/web1/c"))
    #expect(
      result.stats.map {
        "\($0.connector?.description ?? "-") \($0.host) \($0.changed)/\($0.failed)/\($0.skipped)/\($0.unchanged)"
      } == [
        "prod/first web1 0/1/1/1",
        "prod/first web2 2/0/0/0",
        "prod/second web1 0/0/1/0",
        "prod/second web2 1/0/0/0",
      ])
  }

  @Test func planJSONIsVersionedAndRoundTrips() async throws {
    try folder.write("resources/prod/first/web1/a", "1")
    let (plan, _) = try await run(FakeConnector(log: log))
    let data = try PlanDocument(plan).encoded()
    let decoded = try PlanDocument.decode(data)
    #expect(decoded == PlanDocument(plan))
    let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    #expect(object["format_version"] as? String == "1.0")
    let change = try #require((object["changes"] as? [[String: Any]])?.first)
    #expect(change["live_fingerprint"] as? String == "absent")
    #expect(change["address"] as? String == "first/web1/a")
  }
}
