import Crypto
import Foundation
import InfraCore
import InfraEngine
import InfraTransport

/// Executes the `files` ops of one host: missing parent folders in one command, then each op
/// in order, stopping at the first failure.
struct FilesApplier {
  let settings: FilesConnector.Settings
  let host: InventoryHost
  let transport: any Transport

  struct Failed: Error {
    let message: String
  }

  func apply(_ request: ApplyRequest) async -> ApplyResponse {
    let planned = request.ops
    var outcomes: [OpOutcome] = []
    var ops: [(PlannedOp, FileOp)] = []
    for op in planned {
      do {
        ops.append((op, try op.payload.decode(as: FileOp.self)))
      } catch {
        let outcome = OpOutcome(
          address: op.address, status: .failed("the op's payload is not a files op: \(error)"))
        request.onOutcome(outcome)
        return ApplyResponse(outcomes: [outcome])
      }
    }
    let parents = Set(
      ops.filter { $0.1.kind == .write }.map { FileCommands.parentFolder(of: $0.1.path) }
    )
    .subtracting(["/"]).sorted()
    if request.shouldStop() { return ApplyResponse(outcomes: []) }
    if !parents.isEmpty {
      // Folders that cannot be made (a parent that is a file, no permission) make the ops below
      // them fail on their own, with their own paths; every other folder is made regardless.
      await makeFolders(parents)
    }
    for (planned, op) in ops {
      if request.shouldStop() { break }
      request.onStart(planned.address)
      let outcome: OpOutcome
      do {
        try await execute(op)
        outcome = OpOutcome(address: planned.address, status: .applied)
      } catch {
        outcome = OpOutcome(address: planned.address, status: .failed(message(error)))
      }
      request.onOutcome(outcome)
      outcomes.append(outcome)
      if case .failed = outcome.status { break }
    }
    return ApplyResponse(outcomes: outcomes)
  }

  /// Creates missing folders with mode 0755 (owned by the connecting user), all in one command.
  private func makeFolders(_ folders: [String]) async {
    var script = ShellScript()
    script.append(raw: "umask 022")
    script.append(ShellCommand.raw("set --").appending(words: folders))
    script.append(raw: #"printf '%s\0' "$@" | xargs -0 -r mkdir -p --"#)
    _ = try? await transport.run(script)
  }

  private func execute(_ op: FileOp) async throws {
    switch op.kind {
    case .write:
      let content = try sourceContent(op)
      try await transport.put(
        content, at: op.path,
        attributes: FileAttributes(mode: op.modeBits, owner: op.owner, group: op.group))
    case .attributes:
      var command: ShellCommand?
      if op.owner != nil || op.group != nil {
        let spec = (op.owner ?? "") + (op.group.map { ":\($0)" } ?? "")
        command = ShellCommand("chown", "--", spec, op.path)
      }
      if let mode = op.modeBits {
        // After chown, which clears setuid and setgid bits.
        let chmod = ShellCommand("chmod", "--", FileMode.format(mode), op.path)
        command = command.map { $0.and(chmod) } ?? chmod
      }
      if let command { try await run(command) }
    case .remove:
      let path = shellQuote(op.path)
      try await run(
        ShellCommand(
          "sh", "-c",
          "if [ -d \(path) ] && [ ! -L \(path) ]; then echo 'it is a folder, not a file' >&2; exit 1; fi; rm -f -- \(path)"
        ))
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

  private func run(_ command: ShellCommand) async throws {
    let result = try await transport.run(command)
    guard result.succeeded else {
      throw Failed(message: result.stderrText.trimmingCharacters(in: .whitespacesAndNewlines))
    }
  }

  private func message(_ error: any Error) -> String {
    if let failed = error as? Failed { return failed.message }
    return String(describing: error)
  }
}
