import Foundation
import InfraTestSupport
import InfraTransport
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

  /// The environment for an `infra` process whose scratch folder is `scratch`: no colour, and
  /// a coverage profile kept in the scratch folder (not in the repository under test, and not
  /// among the test bundle's profiles, where one cut short by a killed process would make
  /// `swift test --enable-code-coverage` fail to merge them all).
  static func environment(scratch: TemporaryFolder) -> [String: String] {
    var environment = ProcessInfo.processInfo.environment
    environment["NO_COLOR"] = "1"
    // scripts/test names a folder for them, merges them with what it can read, and counts
    // them in the coverage report.
    let folder = environment["INFRA_E2E_PROFILES"].map { URL(fileURLWithPath: $0) } ?? scratch.url
    environment["LLVM_PROFILE_FILE"] = folder.appending(path: "infra-%p.profraw").path
    return environment
  }

  /// Runs `infra` and waits for it on a thread of its own, so a test that waits never holds
  /// one of the few threads Swift's task pool has (with both cores busy, tests waiting on them
  /// kept other tests' tasks from running for tens of seconds).
  static func run(
    _ arguments: [String], in folder: URL, input: String? = nil,
    environment extra: [String: String] = [:]
  ) async throws -> InfraRun {
    try await execute(binary, arguments, in: folder, input: input, environment: extra)
  }

  /// Runs `infra` as `run` does, and returns what the kernel accounted for it as well: the
  /// processor time and peak memory that bounded-input tests assert.
  static func measured(_ arguments: [String], in folder: URL) async throws
    -> (run: InfraRun, usage: ChildProcess.Usage)
  {
    let scratch = try TemporaryFolder("run")
    let usage = try await ChildProcess.measure(
      binary.path, arguments, directory: folder.path, environment: environment(scratch: scratch),
      stdout: try scratch.write("stdout", "").path, stderr: try scratch.write("stderr", "").path,
      scratch: scratch.url)
    let run = InfraRun(
      code: usage.code, stdout: try scratch.readText("stdout"),
      stderr: try scratch.readText("stderr"))
    return (run, usage)
  }

  /// Runs `infra` on a pseudo-terminal (through util-linux `script`), answering its prompt.
  /// With `columns`, the terminal is that narrow.
  static func runOnTerminal(
    _ arguments: [String], in folder: URL, answer: String,
    environment extra: [String: String] = [:], columns: Int? = nil
  ) async throws -> InfraRun {
    var command = ([binary.path] + arguments).map(quote).joined(separator: " ")
    if let columns { command = "stty cols \(columns) && " + command }
    return try await execute(
      URL(fileURLWithPath: "/usr/bin/script"), ["-qec", command, "/dev/null"], in: folder,
      input: answer + "\n", environment: extra)
  }

  private static func execute(
    _ executable: URL, _ arguments: [String], in folder: URL, input: String?,
    environment extra: [String: String] = [:]
  ) async throws -> InfraRun {
    let scratch = try TemporaryFolder("run")
    let stdoutURL = try scratch.write("stdout", "")
    let stderrURL = try scratch.write("stderr", "")
    let stdinURL = try scratch.write("stdin", input ?? "")
    let code = try await ChildProcess.start(
      executable.path, arguments, directory: folder.path,
      environment: environment(scratch: scratch).merging(extra) { _, new in new },
      stdin: stdinURL.path, stdout: stdoutURL.path, stderr: stderrURL.path
    ).waitForExit().code
    return InfraRun(
      code: code, stdout: try scratch.readText("stdout"),
      stderr: try scratch.readText("stderr"))
  }

  private static func quote(_ word: String) -> String {
    "'" + word.replacingOccurrences(of: "'", with: #"'\''"#) + "'"
  }
}

extension ChildProcess.Usage {
  /// What refusing bad input may cost: under a second of processor time and 100 MB.
  var isSmall: Bool { cpuSeconds < 1 && peak < 100_000_000 }
}
