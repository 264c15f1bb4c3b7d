import Foundation
import InfraCore
import InfraEngine
import InfraTestSupport
import Testing

/// Changes that call for others on their host: ops triggered by what other connectors change,
/// run after everything else; problems that other changes of the same apply settle.
extension EngineTests {
  @Test func aTriggeredOpRunsLastAndOnlyWhenWhatItWatchesChanges() async throws {
    try folder.write("resources/prod/first/web1/config", "new")
    try folder.write("resources/prod/first/web1/gone", "absent")
    try folder.write("resources/prod/second/web1/reload", "then first/web1/config")
    try folder.write("resources/prod/second/web1/early", "1")
    try folder.write("resources/prod/second/web2/reload", "then first/web2/config")
    try folder.write("resources/prod/first/web2/config", "same")
    let connector = FakeConnector(
      log: log, live: ["web1": ["first/web1/gone": "x"], "web2": ["first/web2/config": "same"]])
    let (plan, result) = try await run(connector, apply: true)
    let triggered = try #require(
      plan.changes.first { $0.address.path == "second/web1/reload" })
    #expect(triggered.op.runsLast)
    #expect(triggered.op.message == "then second/web1/reload")
    #expect(triggered.op.details == ["after the changes of this apply to fake:first/web1/config"])
    // On web2 nothing it watches changes: nothing is planned for it, and it is unchanged.
    #expect(!plan.changes.contains { $0.host == "web2" })
    #expect(plan.unchanged.contains { $0.address.path == "second/web2/reload" })
    // After creates, updates and deletes of every connector.
    #expect(
      log.all.filter { $0.hasPrefix("apply web1") } == [
        "apply web1 create first/web1/config",
        "apply web1 create second/web1/early",
        "apply web1 delete first/web1/gone",
        "apply web1 create second/web1/reload",
      ])
    #expect(result?.succeeded == true)
    // It survives a plan's JSON, as a saved plan keeps it.
    let document = PlanDocument(plan)
    let decoded = try JSONDecoder().decode(
      PlanDocument.self, from: JSONEncoder().encode(document))
    #expect(decoded.changes.first { $0.address == "second/web1/reload" }?.runsLast == true)
  }

  @Test func aProblemIsSettledByAnEarlierChangeOfTheHostOrStands() async throws {
    // The group is created first, which settles the user (a chain across three connectors,
    // groups, users and files, is shown end to end by AccountsEndToEndTests).
    try folder.write("resources/prod/first/web1/group", "g")
    try folder.write("resources/prod/second/web1/user", "needs first/web1/group")
    // Nor does a change of the same connector: the engine does not know its order.
    try folder.write("resources/prod/second/web1/file", "needs second/web1/user")
    // A change of a connector applied later settles nothing: it is not there yet.
    try folder.write("resources/prod/first/web1/early", "needs second/web1/user")
    // Nothing settles this one: what it needs is already there, unchanged.
    try folder.write("resources/prod/second/web2/user", "needs first/web2/group")
    try folder.write("resources/prod/first/web2/group", "g")
    let connector = FakeConnector(log: log, live: ["web2": ["first/web2/group": "g"]])
    let (plan, _) = try await run(connector)
    #expect(plan.changes.map(\.address.path).sorted() == ["first/web1/group", "second/web1/user"])
    #expect(plan.changes.first { $0.address.path == "second/web1/user" }?.op.details == ["settled"])
    #expect(
      plan.failures.map(\.description).sorted() == [
        "prod/first/web1/early on web1: first/web1/early needs second/web1/user",
        "prod/second/web1/file on web1: second/web1/file needs second/web1/user",
        "prod/second/web2/user on web2: second/web2/user needs first/web2/group",
      ])
  }
}
