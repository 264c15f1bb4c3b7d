import InfraCore

/// Turns the triggered ops of one host's connectors into changes (Ansible's handlers, across
/// connectors): an op whose watches one of the host's planned changes touches replaces its
/// resource's own change, if any, and runs after every other change of the host. Nothing is
/// triggered by a triggered op, and nothing runs when nothing it watches changes.
struct Triggers {
  var host: String
  /// Each connector's place in infra.yaml: the order a host's changes are applied in.
  var order: [ConnectorID: Int] = [:]

  /// A problem that another change of the host may settle, and the change held back meanwhile.
  struct Conditional: Sendable {
    var problem: ResourceProblem
    var change: Change?
    var item: PlanItem
  }

  /// Plans each held-back change whose problem other changes of the host settle (over and
  /// over, since a settled change may settle another: a user whose group is created, then
  /// a file that user owns); fails the others, returning their failures. Only a change that is
  /// applied before it settles it: of a connector earlier in infra.yaml, and neither a
  /// deletion nor a change that runs last.
  func settle(_ conditional: [Conditional], in plan: inout Plan) -> [Failure] {
    var waiting = conditional
    // What each connector's changes touch, by the connector's place.
    var touched: [Int: Set<String>] = [:]
    func note(_ change: Change) {
      guard change.action != .delete, !change.op.runsLast else { return }
      touched[place(change.connector), default: []].formUnion(change.op.touches)
    }
    for change in plan.changes { note(change) }
    func isSettled(_ entry: Conditional) -> Bool {
      let before = touched.filter { $0.key < place(entry.item.resource.address.connectorID) }
        .values.reduce(into: Set<String>()) { $0.formUnion($1) }
      return entry.problem.unless.allSatisfy(before.contains)
    }
    while true {
      let (settled, rest) = (waiting.filter(isSettled), waiting.filter { !isSettled($0) })
      guard !settled.isEmpty else { break }
      for entry in settled {
        if var change = entry.change {
          if let resolution = entry.problem.resolution { change.op.details.append(resolution) }
          plan.changes.append(change)
          note(change)
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

  private func place(_ connector: ConnectorID) -> Int { order[connector] ?? Int.max }

  private func unique(_ subjects: [String]) -> [String] {
    var seen: Set<String> = []
    return subjects.filter { seen.insert($0).inserted }
  }
}
