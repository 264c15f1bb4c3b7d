import Foundation
import InfraTransport

/// Runs a host's `on_change:` commands once its changes were applied: in order, in one command
/// on the host, each reading nothing and stopping the rest when it fails.
enum HookRunner {
  /// Why the commands failed, or `nil` when each of them succeeded.
  static func run(_ commands: [String], through transport: any Transport) async -> String? {
    let outcomes: [CommandSteps.Outcome]
    let result: CommandResult
    do {
      (outcomes, result) = try await CommandSteps.run(commands, through: transport)
    } catch {
      return "its changes were applied, but the commands after them could not run: \(error)"
    }
    for (command, outcome) in zip(commands, outcomes) {
      switch outcome {
      case .succeeded: continue
      case .failed(let code, let output):
        return "its changes were applied, then "
          + CommandSteps.reason(command, code: code, output: output)
      case .notRun:
        return
          "its changes were applied, but `\(command)` did not report how it ended (exit \(result.exitCode))"
          + (result.stderrText.isEmpty ? "" : ": \(result.stderrText.prefix(500))")
      }
    }
    return nil
  }
}
