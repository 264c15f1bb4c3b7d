import Foundation
import InfraTransport

/// Runs a host's `on_change:` commands once its changes were applied: in order, in one command
/// on the host, each reading nothing and stopping the rest when it fails.
enum HookRunner {
  static func script(_ commands: [String]) -> ShellScript {
    var script = ShellScript()
    script.append(ShellCommand.raw("set --").appending(words: commands))
    script.append(
      raw:
        #"for h in "$@"; do o=$(sh -c "$h" </dev/null 2>&1); c=$?; if [ "$c" -eq 0 ]; then printf 'ok\0'; else printf 'fail %s\n%s\0' "$c" "$o" | tail -c 4000; exit 0; fi; done"#
    )
    return script
  }

  /// Why the commands failed, or `nil` when each of them succeeded.
  static func run(_ commands: [String], through transport: any Transport) async -> String? {
    let result: CommandResult
    do {
      result = try await transport.run(script(commands))
    } catch {
      return "its changes were applied, but the commands after them could not run: \(error)"
    }
    let records = result.stdout.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
    for (command, record) in zip(commands, records) where record != "ok" {
      let lines = record.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false)
      let code = lines.first.map { String($0.dropFirst("fail ".count)) } ?? "?"
      let output = lines.count > 1 ? lines[1].trimmingCharacters(in: .whitespacesAndNewlines) : ""
      return "its changes were applied, then `\(command)` failed (exit \(code))"
        + (output.isEmpty ? "" : ": \(output)")
    }
    guard records.count >= commands.count else {
      return
        "its changes were applied, but `\(commands[records.count])` did not report how it ended (exit \(result.exitCode))"
        + (result.stderrText.isEmpty ? "" : ": \(result.stderrText.prefix(500))")
    }
    return nil
  }
}
