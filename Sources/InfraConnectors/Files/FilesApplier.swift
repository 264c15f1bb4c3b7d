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
    // Age files are decrypted and templates rendered again, and checked against the planned
    // digest, before anything is sent: the ops before one that cannot be go ahead, and it fails.
    let (contents, decryptionFailure) = await decrypt(&pending)
    // The host's last op carries its `on_change:` commands: its outcome waits for them.
    let hooks = pending.last.flatMap { last in last.1.then.map { (last.0.address, $0) } }
    var start = 0
    var unreachable: String?
    let batchSize = settings.batchSize > 0 ? settings.batchSize : pending.count
    while start < pending.count, !request.shouldStop(), unreachable == nil {
      let batch = Array(pending[start..<min(start + batchSize, pending.count)])
      start += batch.count
      let results: [OpOutcome]
      (results, unreachable) = await install(
        batch, contents: contents, request: request, holding: hooks?.0)
      outcomes += results
      if results.count < batch.count || results.contains(where: \.failed) { break }
    }
    if let (address, commands) = hooks,
      let index = outcomes.firstIndex(where: { $0.address == address })
    {
      if !outcomes[index].failed, let failure = await HookRunner.run(commands, through: transport) {
        outcomes[index].status = .failed(failure)
      }
      request.onOutcome(outcomes[index])
    }
    if let decryptionFailure, unreachable == nil, !request.shouldStop(),
      outcomes.count == pending.count, !outcomes.contains(where: \.failed)
    {
      request.onOutcome(decryptionFailure)
      outcomes.append(decryptionFailure)
    }
    return ApplyResponse(outcomes: outcomes, unreachable: unreachable)
  }

  /// The content of each age file and template to write, decrypted or rendered again, by path;
  /// `pending` is cut before the first that cannot be, or changed since the plan, and that
  /// op's failure returned.
  private func decrypt(_ pending: inout [(PlannedOp, FileOp)]) async
    -> ([String: Data], OpOutcome?)
  {
    var contents: [String: Data] = [:]
    for (index, (planned, op)) in pending.enumerated()
    where op.kind == .write && (op.encrypted == true || op.template == true) {
      let source = op.source ?? op.path
      let reason: String
      if op.template == true {
        switch await renderAgain(op) {
        case .success(let data) where SHA256Hex.of(data) == op.sha256:
          contents[op.path] = data
          continue
        case .success:
          reason =
            "\(source) renders differently for \(host.name) than when it was planned; run the plan again"
        case .failure(let failure):
          reason = failure.message
        }
        pending = Array(pending.prefix(index))
        return (contents, OpOutcome(address: planned.address, status: .failed(reason)))
      }
      do {
        let data = try await settings.cipher.decrypt(
          settings.repository.root.appending(path: source))
        if SHA256Hex.of(data) == op.sha256 {
          contents[op.path] = data
          continue
        }
        reason = "\(source) changed after it was planned; run the plan again"
      } catch {
        reason = "cannot decrypt \(source): \(error.message)"
      }
      pending = Array(pending.prefix(index))
      return (contents, OpOutcome(address: planned.address, status: .failed(reason)))
    }
    return (contents, nil)
  }

  /// A template, rendered again from the repository as it is now, with what it was rendered
  /// with when the host was read.
  private func renderAgain(_ op: FileOp) async -> Result<Data, RenderedTemplates.Failure> {
    guard let values = settings.rendered.values(of: host.name) else {
      return .failure(.init(message: "the templates of \(host.name) were not rendered; plan again"))
    }
    let file = DesiredFile(
      path: op.path, state: .present, source: op.source, encrypted: op.encrypted, template: true)
    return await settings.render(file, with: values).map(\.content)
  }

  /// One batch, one command; returns the outcomes of the ops the host reached, and why the
  /// host became unreachable if its connection was lost meanwhile. Each op is reported started
  /// as it is sent, and applied as the host confirms it; a stopped run sends no more ops.
  private func install(
    _ batch: [(PlannedOp, FileOp)], contents: [String: Data], request: ApplyRequest,
    holding held: Address?
  ) async -> ([OpOutcome], unreachable: String?) {
    let addresses = batch.map(\.0.address)
    let feed = FileInstaller.Feed(
      batch.map { installerOp($0.1, decrypted: contents[$0.1.path]) },
      shouldStop: request.shouldStop, onSend: { request.onStart(addresses[$0]) })
    let live = Confirmations(addresses, holding: held, report: request.onOutcomes)
    var outcomes: [OpOutcome]
    var unreachable: String?
    do {
      let result = try await transport.run(
        FileInstaller.command(settings.writer), streaming: feed.input, timeout: nil,
        output: live.take)
      outcomes = confirmed(result.stdout, batch, feed: feed)
      // The installer reports every op it reaches and stops after a failure; silence about
      // an op it was sent means it died, and that op failed.
      if outcomes.count < feed.sent, !outcomes.contains(where: \.failed) {
        let stderr = result.stderrText.trimmingCharacters(in: .whitespacesAndNewlines)
        outcomes.append(
          OpOutcome(
            address: batch[outcomes.count].0.address,
            status: .failed(
              "the installer stopped on \(host.name) (exit \(result.exitCode))"
                + (stderr.isEmpty ? "" : ": \(stderr)"))))
      }
    } catch let error as TransportError {
      // A lost connection: what the host confirmed before it is done, the op it was on failed.
      var partial = Data()
      switch error {
      case .connectionLost(_, let reason, let output):
        (partial, unreachable) = (output.stdout, reason)
      case .unreachable(_, let reason): unreachable = reason
      default: break
      }
      outcomes = confirmed(partial, batch, feed: feed)
      // The op the host was on failed; the first one when the stream never began.
      if outcomes.count < max(feed.sent, 1), !outcomes.contains(where: \.failed) {
        outcomes.append(
          OpOutcome(address: batch[outcomes.count].0.address, status: .failed(error.description)))
      }
    } catch {
      // Not the host's doing (the run was cancelled): what it confirmed meanwhile is done.
      let confirmed = live.finish()
      outcomes = addresses.prefix(confirmed).map { OpOutcome(address: $0, status: .applied) }
      if confirmed < batch.count {
        outcomes.append(OpOutcome(address: addresses[confirmed], status: .failed("\(error)")))
      }
    }
    for outcome in outcomes.dropFirst(live.finish()) where outcome.address != held {
      request.onOutcome(outcome)
    }
    return (outcomes, unreachable)
  }

  /// The outcomes the installer's `output` confirms, in order.
  private func confirmed(_ output: Data, _ batch: [(PlannedOp, FileOp)], feed: FileInstaller.Feed)
    -> [OpOutcome]
  {
    var outcomes: [OpOutcome] = []
    for (index, outcome) in FileInstaller.outcomes(output, count: batch.count).enumerated() {
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
    return outcomes
  }

  /// The content of a write is re-read from the repository as it is sent, and checked against
  /// the planned hash, so a resource file edited after planning is never applied unreviewed.
  private func installerOp(_ op: FileOp, decrypted: Data?) -> FileInstaller.Op {
    switch op.kind {
    case .write:
      let content =
        decrypted.map(FileInstaller.Op.Content.bytes)
        ?? op.source.map { source in
          .file(
            settings.repository.root.appending(path: source), name: source, sha256: op.sha256)
        }
      var write = FileInstaller.Op(
        kind: .write, path: op.path,
        source: content ?? .bytes(Data()), mode: op.modeBits,
        owner: op.owner, group: op.group)
      write.check = op.validate.map(FileInstaller.Op.check(running:))
      (write.backup, write.aside) = (op.backup == true, op.aside == true)
      return write
    case .link:
      var link = FileInstaller.Op(
        kind: .link, path: op.path, source: .bytes(Data((op.target ?? "").utf8)), mode: nil,
        owner: nil, group: nil)
      link.aside = op.aside == true
      return link
    case .folder:
      var folder = FileInstaller.Op(
        kind: .folder, path: op.path, mode: op.modeBits, owner: op.owner, group: op.group)
      folder.aside = op.aside == true
      return folder
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
