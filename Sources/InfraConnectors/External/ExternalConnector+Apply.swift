import Foundation
import InfraCore
import InfraEngine

/// A host's ops, sent to the program in batches: one `apply` call each, which the SDK's
/// `apply_all` may serve in one round trip to the host.
extension ExternalConnector {
  /// The most ops sent in one `apply` call: a connector may apply them in one round trip
  /// (the SDK's `apply_all`); between calls, a stopped run starts no more.
  static let applyBatch = 100

  func apply(_ request: ApplyRequest) async -> ApplyResponse {
    var outcomes: [OpOutcome] = []
    let host = request.host.name
    lost.withLock { $0[host] = nil }
    var start = 0
    while start < request.ops.count, !request.shouldStop() {
      let batch = Array(request.ops[start..<min(start + Self.applyBatch, request.ops.count)])
      start += batch.count
      for op in batch { request.onStart(op.address) }
      let results = await apply(batch, request: request)
      for outcome in results {
        outcomes.append(outcome)
        request.onOutcome(outcome)
      }
      if results.count < batch.count || results.contains(where: \.failed) { break }
    }
    // An op that failed because the host went away makes the host unreachable.
    return ApplyResponse(outcomes: outcomes, unreachable: lost.withLock { $0[host] })
  }

  /// One `apply` call: the outcomes of the ops the program reached, in order, ending at the
  /// first that failed.
  private func apply(_ batch: [PlannedOp], request: ApplyRequest) async -> [OpOutcome] {
    do {
      let messages = batch.map { op in
        OpMessage(
          address: op.address.path,
          action: OpMessage.ActionName(rawValue: op.action.rawValue) ?? .update,
          payload: op.payload, sensitive: op.sensitive ? true : nil)
      }
      let answer = try await call(
        "apply", ApplyParams(host: request.host.name, ops: messages), as: ApplyAnswer.self,
        host: (request.host.name, request.transport),
        sensitive: batch.contains(where: \.sensitive))
      guard !answer.outcomes.isEmpty else {
        throw failure("apply", "'outcomes' is empty: the op was neither applied nor failed")
      }
      var outcomes: [OpOutcome] = []
      for (op, reported) in zip(batch, answer.outcomes) {
        guard reported.address == op.address.path else {
          throw failure(
            "apply",
            "'outcomes[\(outcomes.count)]' is about \(JSONValue.string(reported.address).serialized), not the op it was sent (\(op.address.path))"
          )
        }
        let outcome = OpOutcome(
          address: op.address,
          status: reported.status == .applied
            ? .applied : .failed(reported.error ?? "the connector did not apply it"))
        outcomes.append(outcome)
        if case .failed = outcome.status { break }
      }
      // Silence about an op after the last applied one: it was not applied.
      if outcomes.count < batch.count, !outcomes.contains(where: \.failed) {
        outcomes.append(
          OpOutcome(
            address: batch[outcomes.count].address,
            status: .failed("the connector reported no outcome for it")))
      }
      return outcomes
    } catch {
      return [OpOutcome(address: batch[0].address, status: .failed("\(error)"))]
    }
  }
}
