import Foundation
import InfraCore
import InfraEngine
import InfraTransport

/// Runs shell commands on a host one after another in one round trip, stopping at the first
/// that fails, and tells how each ended: what builtin connectors apply a host's ops with.
/// Each command reads nothing and runs in its own `sh -c`; what a failing one printed (its
/// last 4,000 bytes, standard error and output together) comes back as the reason.
enum CommandSteps {
  enum Outcome: Hashable {
    case succeeded
    /// The exit status and what the command printed.
    case failed(code: String, output: String)
    /// The command did not run: an earlier one failed, or the script was cut short.
    case notRun
  }

  static func script(_ commands: [String]) -> ShellScript {
    var script = ShellScript()
    script.append(ShellCommand.raw("set --").appending(words: commands))
    script.append(
      raw:
        #"for h in "$@"; do o=$(sh -c "$h" </dev/null 2>&1); c=$?; if [ "$c" -eq 0 ]; then printf 'ok\0'; else printf 'fail %s\n%s\0' "$c" "$o" | tail -c 4000; exit 0; fi; done"#
    )
    return script
  }

  /// How each of `commands` ended, in order; throws when the host could not be asked.
  static func run(_ commands: [String], through transport: any Transport) async throws
    -> (outcomes: [Outcome], result: CommandResult)
  {
    guard !commands.isEmpty else { return ([], CommandResult(exitCode: 0)) }
    let result = try await transport.run(script(commands))
    let records = result.stdout.split(separator: 0, omittingEmptySubsequences: false)
      .dropLast(result.stdout.last == 0 ? 1 : 0)
      .map { String(decoding: $0, as: UTF8.self) }
    var outcomes: [Outcome] = []
    for index in commands.indices {
      guard index < records.count else {
        outcomes.append(.notRun)
        continue
      }
      let record = records[index]
      if record == "ok" {
        outcomes.append(.succeeded)
        continue
      }
      // `tail -c` may have cut the head of a long record: its status line is then lost.
      let lines = record.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false)
      let head = lines.first.map(String.init) ?? ""
      let code = head.hasPrefix("fail ") ? String(head.dropFirst("fail ".count)) : "?"
      let output = (head.hasPrefix("fail ") ? (lines.count > 1 ? String(lines[1]) : "") : record)
        .trimmingCharacters(in: .whitespacesAndNewlines)
      outcomes.append(.failed(code: code, output: output))
    }
    return (outcomes, result)
  }

  /// Why a command failed, for an op's outcome: `` `cmd` failed (exit 1): output ``.
  static func reason(_ command: String, code: String, output: String) -> String {
    "`\(command)` failed (exit \(code))" + (output.isEmpty ? "" : ": \(output)")
  }
}

extension CommandSteps {
  /// Applies a host's ops as one command each, in order, in one round trip; the first that
  /// fails stops the rest. `commands` pairs each op with its command, or with why it cannot
  /// run (a payload that cannot be read), which fails it before anything runs.
  static func apply(
    _ request: ApplyRequest, _ commands: [(op: PlannedOp, command: Result<String, Unrunnable>)]
  ) async -> ApplyResponse {
    var runnable: [(op: PlannedOp, command: String)] = []
    for (op, command) in commands {
      switch command {
      case .success(let command): runnable.append((op, command))
      case .failure(let problem):
        let outcome = OpOutcome(address: op.address, status: .failed(problem.reason))
        request.onOutcome(outcome)
        return ApplyResponse(outcomes: [outcome])
      }
    }
    guard !runnable.isEmpty, !request.shouldStop() else { return ApplyResponse(outcomes: []) }
    for (op, _) in runnable { request.onStart(op.address) }
    let steps: [Outcome]
    let result: CommandResult
    do {
      (steps, result) = try await run(runnable.map(\.command), through: request.transport)
    } catch {
      return .failed(runnable[0].op.address, by: error, report: request.onOutcome)
    }
    var outcomes: [OpOutcome] = []
    for ((op, command), step) in zip(runnable, steps) {
      let status: OpOutcome.Status
      switch step {
      case .succeeded: status = .applied
      case .failed(let code, let output):
        status = .failed(reason(command, code: code, output: output))
      case .notRun:
        // The script ended before it said how this one went (killed on the host): it may
        // have run, so it failed, and nothing after it counts as done.
        status = .failed(
          "`\(command)` did not report how it ended (the host's shell exited \(result.exitCode))"
            + (result.stderrText.isEmpty ? "" : ": \(result.stderrText.prefix(500))"))
      }
      outcomes.append(OpOutcome(address: op.address, status: status))
      request.onOutcome(outcomes[outcomes.count - 1])
      if case .failed = status { break }
    }
    return ApplyResponse(outcomes: outcomes)
  }

  /// Why an op cannot be run at all.
  struct Unrunnable: Error {
    var reason: String
  }
}

extension ApplyResponse {
  /// The op at `address` failed because the host could not be asked: a lost connection makes
  /// the host unreachable, so nothing more is tried there.
  static func failed(
    _ address: Address, by error: any Error, report: (OpOutcome) -> Void = { _ in }
  ) -> ApplyResponse {
    var unreachable: String?
    if let error = error as? TransportError {
      if case .connectionLost(_, let reason, _) = error { unreachable = reason }
      if case .unreachable(_, let reason) = error { unreachable = reason }
    }
    let outcome = OpOutcome(address: address, status: .failed("\(error)"))
    report(outcome)
    return ApplyResponse(outcomes: [outcome], unreachable: unreachable)
  }
}
