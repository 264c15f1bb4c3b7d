import Foundation
import InfraTestSupport
import Testing

/// What one run of the `infra` binary did.
struct InfraRun: CustomStringConvertible {
  var code: Int32
  var stdout: String
  var stderr: String

  var description: String { "exit \(code)\n--- stdout\n\(stdout)\n--- stderr\n\(stderr)" }
}

/// Runs the built `infra` executable as a user would: a real process, real files.
enum Infra {
  /// The binary built next to this test bundle, or `INFRA_BINARY`.
  static let binary: URL = {
    if let path = ProcessInfo.processInfo.environment["INFRA_BINARY"] {
      return URL(fileURLWithPath: path)
    }
    let me = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    return me.deletingLastPathComponent().appending(path: "infra")
  }()

  /// The project's own top level, which is a demo repository.
  static let projectRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()

  static func run(_ arguments: [String], in folder: URL, input: String? = nil) throws -> InfraRun {
    try execute(binary, arguments, in: folder, input: input)
  }

  /// Runs `infra` on a pseudo-terminal (through util-linux `script`), answering its prompt.
  static func runOnTerminal(_ arguments: [String], in folder: URL, answer: String) throws
    -> InfraRun
  {
    let command = ([binary.path] + arguments).map(quote).joined(separator: " ")
    return try execute(
      URL(fileURLWithPath: "/usr/bin/script"), ["-qec", command, "/dev/null"], in: folder,
      input: answer + "\n")
  }

  private static func execute(
    _ executable: URL, _ arguments: [String], in folder: URL, input: String?
  )
    throws -> InfraRun
  {
    let scratch = try TemporaryFolder("run")
    let stdoutURL = try scratch.write("stdout", "")
    let stderrURL = try scratch.write("stderr", "")
    let stdinURL = try scratch.write("stdin", input ?? "")
    var environment = ProcessInfo.processInfo.environment
    environment["NO_COLOR"] = "1"
    // A coverage build writes its profile where LLVM_PROFILE_FILE says (`swift test
    // --enable-code-coverage` sets it, and the binary's runs count), else into its working
    // folder: never into the repository under test.
    if environment["LLVM_PROFILE_FILE"] == nil {
      environment["LLVM_PROFILE_FILE"] = scratch.appending("infra-%p.profraw").path
    }
    let code = try ChildProcess.run(
      executable.path, arguments, directory: folder.path, environment: environment,
      stdin: stdinURL.path, stdout: stdoutURL.path, stderr: stderrURL.path)
    return InfraRun(
      code: code, stdout: try scratch.readText("stdout"),
      stderr: try scratch.readText("stderr"))
  }

  private static func quote(_ word: String) -> String {
    "'" + word.replacingOccurrences(of: "'", with: #"'\''"#) + "'"
  }
}
