import Crypto
import Foundation
import InfraCore
import InfraEngine
import InfraTransport

/// Executes the `files` ops of one host in batches: each batch is one command that streams the
/// batch's contents and installs every file atomically (see `FileInstaller`). Between batches
/// it checks whether the run was stopped; within a batch the host stops at the first failure.
struct FilesApplier {
  let settings: FilesConnector.Settings
  let host: InventoryHost
  let transport: any Transport

  struct Failed: Error {
    let message: String
  }

  func apply(_ request: ApplyRequest) async -> ApplyResponse {
    var outcomes: [OpOutcome] = []
    var pending: [(PlannedOp, FileOp)] = []
    for op in request.ops {
      do {
        pending.append((op, try FileOp(json: op.payload)))
      } catch {
        let outcome = OpOutcome(
          address: op.address, status: .failed("the op's payload is not a files op: \(error)"))
        request.onOutcome(outcome)
        return ApplyResponse(outcomes: [outcome])
      }
    }
    var start = 0
    while start < pending.count, !request.shouldStop() {
      let batch = Array(pending[start..<min(start + settings.batchSize, pending.count)])
      start += batch.count
      let results = await install(batch, request: request)
      outcomes += results
      if results.count < batch.count || results.contains(where: \.failed) { break }
    }
    return ApplyResponse(outcomes: outcomes)
  }

  /// One batch, one command; returns the outcomes of the ops the host reached.
  private func install(_ batch: [(PlannedOp, FileOp)], request: ApplyRequest) async -> [OpOutcome] {
    var ops: [FileInstaller.Op] = []
    var early: OpOutcome?
    for (planned, op) in batch {
      do {
        ops.append(try installerOp(op))
      } catch {
        // A source that changed since the plan: install what comes before it, then stop.
        early = OpOutcome(address: planned.address, status: .failed(message(error)))
        break
      }
    }
    for (planned, _) in batch.prefix(ops.count) { request.onStart(planned.address) }
    var outcomes: [OpOutcome] = []
    if !ops.isEmpty {
      do {
        let result = try await transport.run(
          FileInstaller.command(settings.writer), input: FileInstaller.stream(ops), timeout: nil)
        for (index, outcome) in FileInstaller.outcomes(result.stdout, count: ops.count)
          .enumerated()
        {
          guard let outcome else { break }
          switch outcome {
          case .success:
            outcomes.append(OpOutcome(address: batch[index].0.address, status: .applied))
          case .failure(let error):
            let reason = explain(error.message, for: batch[index].1)
            outcomes.append(OpOutcome(address: batch[index].0.address, status: .failed(reason)))
          }
        }
        // The installer reports every op it reaches and stops after a failure; silence about
        // an op it was sent means it died, and that op failed.
        if outcomes.count < ops.count, !outcomes.contains(where: \.failed) {
          let stderr = result.stderrText.trimmingCharacters(in: .whitespacesAndNewlines)
          outcomes.append(
            OpOutcome(
              address: batch[outcomes.count].0.address,
              status: .failed(
                "the installer stopped on \(host.name) (exit \(result.exitCode))"
                  + (stderr.isEmpty ? "" : ": \(stderr)"))))
        }
      } catch {
        outcomes.append(OpOutcome(address: batch[0].0.address, status: .failed(message(error))))
      }
    }
    if let early, outcomes.count == ops.count, !outcomes.contains(where: \.failed) {
      outcomes.append(early)
    }
    for outcome in outcomes { request.onOutcome(outcome) }
    return outcomes
  }

  private func installerOp(_ op: FileOp) throws -> FileInstaller.Op {
    switch op.kind {
    case .write:
      return FileInstaller.Op(
        kind: .write, path: op.path, content: try sourceContent(op), mode: op.modeBits,
        owner: op.owner, group: op.group)
    case .attributes:
      return FileInstaller.Op(
        kind: .attributes, path: op.path, mode: op.modeBits, owner: op.owner, group: op.group)
    case .remove:
      return FileInstaller.Op(kind: .remove, path: op.path)
    }
  }

  /// The content to write, re-read from the repository and checked against the planned hash,
  /// so a resource file edited after planning is never applied unreviewed.
  private func sourceContent(_ op: FileOp) throws -> Data {
    guard let source = op.source else { return Data() }
    let data: Data
    do {
      data = try Data(contentsOf: settings.repository.root.appending(path: source))
    } catch {
      throw Failed(message: "cannot read \(source): \(error.localizedDescription)")
    }
    if let expected = op.sha256, SHA256.hash(data: data).hexString != expected {
      throw Failed(message: "\(source) changed after it was planned; run the plan again")
    }
    return data
  }

  /// A failure to keep a file's owner or group, which the repository never asked to set,
  /// needs saying in those words.
  private func explain(_ message: String, for op: FileOp) -> String {
    guard op.keepsOwnership == true, message.contains("cannot set its owner") else {
      return message
    }
    let cause = message.components(separatedBy: ": ").last ?? message
    return
      "\(op.path): rewriting it would change its owner or group (uid \(op.owner ?? "-"), gid \(op.group ?? "-")), which the connecting user may not keep (\(cause)); set `owner:` and `group:` for it in .infra-attrs.yaml, or connect as root or with sudo"
  }

  private func message(_ error: any Error) -> String {
    if let failed = error as? Failed { return failed.message }
    return String(describing: error)
  }
}

extension OpOutcome {
  var failed: Bool {
    if case .failed = status { true } else { false }
  }
}
