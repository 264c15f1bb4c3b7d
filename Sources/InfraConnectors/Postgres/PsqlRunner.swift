import Foundation
import InfraCore
import InfraTransport

/// How the connector reaches a host's server: `psql` run through the host's transport (as
/// `sudo_user` when the options name one), with the connection settings of the options, and
/// every script on its standard input, never on a command line.
struct PsqlRunner: Sendable {
  var transport: any Transport
  var program: String
  var host: String?
  var port: Int?
  var user: String?
  /// The database psql connects to first, and where cluster-wide statements run.
  var database: String

  var command: ShellCommand {
    var words = [program, "-X", "-q", "-A", "-t", "-w", "-v", "ON_ERROR_STOP=1"]
    if let host { words += ["-h", host] }
    if let port { words += ["-p", String(port)] }
    if let user { words += ["-U", user] }
    words += ["-d", database, "-f", "-"]
    return ShellCommand(words: words)
  }

  /// Runs `script`; the result is psql's, a failure included.
  func run(_ script: String) async throws -> CommandResult {
    try await transport.run(command, input: Data(script.utf8), timeout: nil)
  }

  /// Runs `script` and returns what it printed, or throws what psql said, and what to check.
  func read(_ script: String) async throws -> String {
    let result = try await run(script)
    guard result.succeeded else {
      throw PsqlFailure(
        message:
          "psql could not read the server's catalogs: \(said(result)) (check the connector's `host`, `port`, `user`, `database` and `sudo_user` options in infra.yaml)"
      )
    }
    return result.stdoutText
  }

  /// What psql and the server said of a failure, without psql's `psql:<stdin>:12:` prefixes.
  func said(_ result: CommandResult) -> String {
    let lines = result.stderrText.split(separator: "\n").map { line in
      line.replacing(#/^psql:<stdin>:\d+: /#, with: "")
    }.filter { !$0.isEmpty }
    let text = lines.joined(separator: "\n")
    if result.exitCode == 127 {
      return
        "\(program) was not found on \(transport.host.name) (\(text)); install PostgreSQL's client there (Debian: postgresql-client), or set the connector's `psql` option"
    }
    return text.isEmpty ? "psql stopped with exit code \(result.exitCode) and said nothing" : text
  }

  struct PsqlFailure: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
  }
}
