import InfraCore

/// Turns the triggered ops of one host's connectors into changes (Ansible's handlers, across
/// connectors): an op whose watches one of the host's planned changes touches replaces its
/// resource's own change, if any, and runs after every other change of the host. Nothing is
/// triggered by a triggered op, and nothing runs when nothing it watches changes.
struct Triggers {
  var host: String

  /// A problem that another change of the host may settle, and the change held back meanwhile.
  struct Conditional: Sendable {
    var problem: ResourceProblem
    var change: Change?
    var item: PlanItem
  }

  /// Plans each held-back change whose problem other changes of the host settle (over and
  /// over, since a settled change may settle another: a user whose group is created, then
  /// a file that user owns); fails the others, returning their failures.
  func settle(_ conditional: [Conditional], in plan: inout Plan) -> [Failure] {
    var waiting = conditional
    var touched = Set(plan.changes.flatMap(\.op.touches))
    while true {
      let (settled, rest) = (
        waiting.filter { $0.problem.unless.allSatisfy(touched.contains) },
        waiting.filter { !$0.problem.unless.allSatisfy(touched.contains) }
      )
      guard !settled.isEmpty else { break }
      for entry in settled {
        if var change = entry.change {
          if let resolution = entry.problem.resolution { change.op.details.append(resolution) }
          plan.changes.append(change)
          touched.formUnion(change.op.touches)
        } else {
          plan.unchanged.append(ResourceRef(entry.item.resource))
        }
      }
      waiting = rest
    }
    let failures = waiting.map { entry in
      Failure(
        kind: .resource, host: host, address: entry.problem.address,
        message: entry.problem.message)
    }
    plan.failures += failures
    return failures
  }

  func resolve(_ candidates: [(op: TriggeredOp, item: PlanItem)], in plan: inout Plan) {
    guard !candidates.isEmpty else { return }
    let touched = plan.changes.flatMap { change in change.op.touches }
    for (candidate, item) in candidates {
      let causes = unique(touched.filter(candidate.isTriggered(by:)))
      guard let first = causes.first else { continue }
      var op = candidate.op
      op.runsLast = true
      let more = causes.count > 1 ? " and \(causes.count - 1) more" : ""
      op.details.append("after the changes of this apply to \(first)\(more)")
      let change = Change(planned: op, of: item, on: host)
      let ref = ResourceRef(item.resource)
      if let index = plan.changes.firstIndex(where: { $0.address == ref.address && $0.host == host }
      ) {
        plan.changes[index] = change
      } else {
        plan.unchanged.removeAll { $0 == ref }
        plan.changes.append(change)
      }
    }
  }

  private func unique(_ subjects: [String]) -> [String] {
    var seen: Set<String> = []
    return subjects.filter { seen.insert($0).inserted }
  }
}
