import Foundation
import InfraCore
import InfraEngine
import InfraTransport

/// Executes a host's postgres ops in one `psql` call: roles first, then databases, schemas
/// and privileges (drops the other way round), each op's statements in a transaction where
/// PostgreSQL allows one, with a marker after each op that committed. psql stops at the first
/// error, and the failed op says what PostgreSQL said.
struct PostgresApplier {
  let psql: PsqlRunner

  static let marker = "infra-op-done "

  func apply(_ request: ApplyRequest) async -> ApplyResponse {
    var pending: [(PlannedOp, PostgresOp)] = []
    for planned in request.ops {
      guard let op = try? PostgresOp(json: planned.payload) else {
        let outcome = OpOutcome(
          address: planned.address, status: .failed("the op's payload is not a postgres op"))
        request.onOutcome(outcome)
        return ApplyResponse(outcomes: [outcome])
      }
      pending.append((planned, op))
    }
    let ordered = PostgresOp.ordered(pending, op: \.1, deleting: { $0.0.action == .delete })
    guard !ordered.isEmpty, !request.shouldStop() else { return ApplyResponse(outcomes: []) }

    for (planned, _) in ordered { request.onStart(planned.address) }
    var outcomes: [OpOutcome] = []
    var unreachable: String?
    do {
      let result = try await psql.run(script(ordered.map(\.1)))
      let done = Set(
        result.stdoutText.split(separator: "\n").compactMap { line in
          line.hasPrefix(Self.marker) ? Int(line.dropFirst(Self.marker.count)) : nil
        })
      for (index, (planned, _)) in ordered.enumerated() {
        guard done.contains(index) else {
          outcomes.append(
            OpOutcome(address: planned.address, status: .failed(psql.said(result))))
          break
        }
        outcomes.append(OpOutcome(address: planned.address, status: .applied))
      }
    } catch let error as TransportError {
      if case .connectionLost(_, let reason, _) = error { unreachable = reason }
      if case .unreachable(_, let reason) = error { unreachable = reason }
      outcomes = [OpOutcome(address: ordered[0].0.address, status: .failed(error.description))]
    } catch {
      outcomes = [OpOutcome(address: ordered[0].0.address, status: .failed("\(error)"))]
    }
    for outcome in outcomes { request.onOutcome(outcome) }
    return ApplyResponse(outcomes: outcomes, unreachable: unreachable)
  }

  /// The script: each op in the database it runs in, then its marker.
  func script(_ ops: [PostgresOp]) -> String {
    var lines = [CatalogScript.header]
    var current: String?
    for (index, op) in ops.enumerated() {
      let database = op.database ?? psql.database
      if database != (current ?? psql.database) {
        lines.append(SQL.connect(to: database))
      }
      current = database
      if op.transaction { lines.append("BEGIN;") }
      lines += op.statements.map { $0.sql + ";" }
      if op.transaction { lines.append("COMMIT;") }
      lines.append("\\echo \(Self.marker)\(index)")
    }
    return lines.joined(separator: "\n") + "\n"
  }
}
