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

  /// Runs `job` over the builtin transports, keeping no artifacts.
  func run<Job: RunJob>(_ job: Job) async throws -> Job.Output {
    var settings = RunSettings()
    settings.transports = StandardTransports()
    return try await Run(job, in: try await workspace(), settings: settings).start().output
  }

  func plan(_ only: [AddressPattern] = []) async throws -> Plan {
    try await run(PlanJob(PlanSelection(only: only)))
  }

  /// Plans and applies; `beforeApplying` runs between the two (as a person reviews the plan).
  @discardableResult
  func apply(beforeApplying: @escaping @Sendable () throws -> Void = {}) async throws
    -> ApplyResult
  {
    let output = try await run(
      ApplyJob(
        approve: { _ in
          (try? beforeApplying()) != nil
        }, locking: nil))
    return output.applied ?? ApplyResult(plan: output.plan, outcomes: [], stats: [])
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
