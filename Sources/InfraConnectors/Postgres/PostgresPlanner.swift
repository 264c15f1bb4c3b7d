import InfraCore
import InfraEngine

/// Turns a resource's desired and live state into the SQL that makes them match, one op per
/// resource, shown in the plan as the statements it will run.
struct PostgresPlanner {
  let passwords: PasswordBox

  func plan(_ items: [PlanItem]) -> PlanResponse {
    var response = PlanResponse()
    for item in items {
      do {
        let desired = try PostgresDesired(json: item.resource.desired)
        let live = item.live.exists ? try PostgresState(json: item.live.state) : nil
        if var op = try planned(desired, live: live, address: item.resource.address) {
          if item.resource.removed, let file = item.resource.sources.first {
            op.message += " (\(file) was deleted in git)"
          }
          response.ops.append(op)
        }
      } catch let problem as Problem {
        response.problems.append(
          ResourceProblem(address: item.resource.address, message: problem.message))
      } catch {
        response.problems.append(
          ResourceProblem(address: item.resource.address, message: "cannot be planned: \(error)"))
      }
    }
    return response
  }

  /// Why a resource cannot be planned, for people.
  struct Problem: Error {
    var message: String
  }

  private func planned(_ desired: PostgresDesired, live: PostgresState?, address: Address) throws
    -> PlannedOp?
  {
    let absent = desired.absent
    let planned: PostgresChange?
    switch desired.kind {
    case .role:
      planned = try desired.role.flatMap {
        try RolePlan(passwords: passwords).plan($0, absent: absent, live: live?.role)
      }
    case .database:
      planned = try desired.database.flatMap {
        try DatabasePlan.plan($0, absent: absent, live: live?.database)
      }
    case .schema:
      planned = desired.schema.flatMap {
        DatabasePlan.plan($0, absent: absent, exists: live != nil, owner: live?.schemaOwner)
      }
    case .grant:
      planned = desired.grant.flatMap { GrantPlan.plan($0, absent: absent, live: live?.grant) }
    }
    guard let planned, !planned.op.statements.isEmpty else { return nil }
    let summary = planned.changes.isEmpty ? "" : ": " + planned.changes.joined(separator: ", ")
    return PlannedOp(
      address: address, action: planned.action,
      message: "\(planned.action.rawValue) \(desired.shown)\(summary)",
      details: planned.op.statements.map { $0.shown + ";" }, payload: planned.op.json,
      sensitive: planned.op.statements.contains(where: \.isSensitive))
  }
}

/// One resource's op: what it does, what it runs, and what changes, for its message.
typealias PostgresChange = (action: Action, op: PostgresOp, changes: [String])
