import Foundation
import InfraCore

/// `host/run_many`: many shell commands, each with its own input, run in order on a host in
/// one round trip, with each one's exit code, output and errors framed apart.
///
/// The commands and their inputs (base64) travel inside one script on standard input; each
/// runs under `sh -c` with its input (or nothing) on its standard input, its output and errors
/// kept in a private temporary folder, then printed after an `R <exit> <out bytes> <err
/// bytes>` line. With `stopOnFailure`, the first command that fails is the last one run.
package enum CommandBatch {
  package struct Command: Codable, Sendable {
    package var command: String
    package var input: Base64?
  }

  package static func script(_ commands: [Command], stopOnFailure: Bool) -> ShellScript {
    var script = ShellScript()
    script.append(raw: #"d=$(mktemp -d) || exit 125; trap 'rm -rf "$d"' EXIT"#)
    script.append(
      raw:
        #"run() { if [ -n "$2" ]; then printf '%s' "$2" | base64 -d > "$d/in" || return 125; else : > "$d/in"; fi; sh -c "$1" < "$d/in" > "$d/out" 2> "$d/err"; c=$?; printf 'R %s %s %s\n' "$c" "$(wc -c < "$d/out")" "$(wc -c < "$d/err")"; cat "$d/out" "$d/err"; return $c; }"#
    )
    for command in commands {
      let input = command.input.map { $0.data.base64EncodedString() } ?? ""
      let line = ShellCommand("run", command.command, input).string
      script.append(raw: stopOnFailure ? line + " || exit 0" : line)
    }
    return script
  }

  /// The commands' results, in order: as many as ran.
  package static func run(
    _ commands: [Command], stopOnFailure: Bool, timeout: Duration?, through transport: any Transport
  ) async throws -> [CommandResult] {
    guard !commands.isEmpty else { return [] }
    let result = try await transport.run(
      script(commands, stopOnFailure: stopOnFailure), timeout: timeout)
    let results = parse(result.stdout)
    guard results.count == commands.count || (stopOnFailure && results.last?.succeeded == false)
    else {
      throw TransportError.commandFailed(
        host: transport.host.name, command: "a batch of \(commands.count) commands",
        exitCode: result.exitCode,
        stderr: "only \(results.count) of them reported how they ended: "
          + result.stderrText.trimmingCharacters(in: .whitespacesAndNewlines).prefix(500))
    }
    return results
  }

  static func parse(_ output: Data) -> [CommandResult] {
    var results: [CommandResult] = []
    var cursor = output.startIndex
    while let newline = output[cursor...].firstIndex(of: 0x0A) {
      let header = String(decoding: output[cursor..<newline], as: UTF8.self).split(separator: " ")
      guard header.count == 4, header[0] == "R", let code = Int32(header[1]),
        let out = Int(header[2]), let err = Int(header[3]),
        output.distance(from: newline, to: output.endIndex) > out + err
      else { break }
      let start = output.index(after: newline)
      let middle = output.index(start, offsetBy: out)
      let end = output.index(middle, offsetBy: err)
      results.append(
        CommandResult(
          exitCode: code, stdout: Data(output[start..<middle]), stderr: Data(output[middle..<end])))
      cursor = end
    }
    return results
  }
}

/// `host/run_many`.
package struct RunManyParams: Codable, Sendable {
  package var host: String
  package var commands: [CommandBatch.Command]
  package var stopOnFailure: Bool?
  package var timeout: Int?

  enum CodingKeys: String, CodingKey {
    case host, commands, timeout
    case stopOnFailure = "stop_on_failure"
  }
}

package struct RunManyAnswer: Codable, Sendable {
  package var results: [RunAnswer]
}
