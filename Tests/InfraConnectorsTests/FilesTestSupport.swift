import Foundation
import InfraConnectors
import InfraCore
import InfraEngine
import InfraTestSupport
import InfraTransport
import Testing

/// Loads, plans and applies a test repository in-process with the builtin connectors and the
/// real local transport.
struct Harness {
  let repo: TestRepository

  func load() async -> WorkspaceLoader.Outcome {
    await WorkspaceLoader(registry: .builtin).load(repo.repository)
  }

  func workspace() async throws -> Workspace {
    let outcome = await load()
    return try #require(outcome.workspace, "\(outcome.diagnostics.all.map(\.description))")
  }

  func plan(_ only: [AddressPattern] = []) async throws -> Plan {
    let workspace = try await workspace()
    let connections = HostConnections(provider: StandardTransports())
    defer { Task { await connections.closeAll() } }
    return await Planner(workspace: workspace, connections: connections)
      .plan(PlanOptions(only: only))
  }

  @discardableResult
  func apply() async throws -> ApplyResult {
    let workspace = try await workspace()
    let connections = HostConnections(provider: StandardTransports())
    let plan = await Planner(workspace: workspace, connections: connections).plan()
    let result = await Applier(workspace: workspace, connections: connections).apply(plan)
    await connections.closeAll()
    return result
  }

  /// `action address host: message` for each change, for compact assertions.
  func changes() async throws -> [String] {
    try await plan().changes.map {
      "\($0.action.rawValue) \($0.address.path) \($0.host): \($0.op.message)"
    }
  }

  /// The messages of every diagnostic, errors and warnings, for compact assertions.
  func problems() async -> [String] {
    await load().diagnostics.all.map(\.description)
  }
}
