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
    let feed = FileInstaller.Feed(batch.map { installerOp($0.1) })
    for (planned, _) in batch { request.onStart(planned.address) }
    var outcomes: [OpOutcome] = []
    do {
      let result = try await transport.run(
        FileInstaller.command(settings.writer), streaming: feed.input, timeout: nil)
      for (index, outcome) in FileInstaller.outcomes(result.stdout, count: batch.count)
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
      // A source that changed or could not be read since the plan: the ops before it are
      // installed, it fails with the reason, and the host stopped there.
      if let stop = feed.stopped, stop.index <= outcomes.count, stop.index < batch.count {
        let failed = OpOutcome(address: batch[stop.index].0.address, status: .failed(stop.reason))
        outcomes = Array(outcomes.prefix(stop.index)) + [failed]
      }
      // The installer reports every op it reaches and stops after a failure; silence about
      // an op it was sent means it died, and that op failed.
      if outcomes.count < batch.count, !outcomes.contains(where: \.failed) {
        let stderr = result.stderrText.trimmingCharacters(in: .whitespacesAndNewlines)
        outcomes.append(
          OpOutcome(
            address: batch[outcomes.count].0.address,
            status: .failed(
              "the installer stopped on \(host.name) (exit \(result.exitCode))"
                + (stderr.isEmpty ? "" : ": \(stderr)"))))
      }
    } catch {
      outcomes.append(
        OpOutcome(address: batch[0].0.address, status: .failed(String(describing: error))))
    }
    for outcome in outcomes { request.onOutcome(outcome) }
    return outcomes
  }

  /// The content of a write is re-read from the repository as it is sent, and checked against
  /// the planned hash, so a resource file edited after planning is never applied unreviewed.
  private func installerOp(_ op: FileOp) -> FileInstaller.Op {
    switch op.kind {
    case .write:
      let content = op.source.map { source in
        FileInstaller.Op.Content.file(
          settings.repository.root.appending(path: source), name: source, sha256: op.sha256)
      }
      return FileInstaller.Op(
        kind: .write, path: op.path, source: content ?? .bytes(Data()), mode: op.modeBits,
        owner: op.owner, group: op.group)
    case .attributes:
      return FileInstaller.Op(
        kind: .attributes, path: op.path, mode: op.modeBits, owner: op.owner, group: op.group)
    case .remove:
      return FileInstaller.Op(kind: .remove, path: op.path)
    }
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
}

extension OpOutcome {
  var failed: Bool {
    if case .failed = status { true } else { false }
  }
}
