import Foundation

/// Runs a program of this machine to completion, for the tools `infra` itself relies on (git).
package enum LocalProgram {
  /// Runs `name`, found on `PATH`, with `arguments`; `input` becomes its standard input.
  /// Throws only when the program cannot be started; a non-zero exit is in the result.
  package static func run(_ name: String, _ arguments: [String], input: Data? = nil) async throws
    -> CommandResult
  {
    try await ProcessRunner().run(
      [name] + arguments, input: input, timeout: nil, host: "localhost",
      display: ShellCommand(words: [name] + arguments))
  }
}
