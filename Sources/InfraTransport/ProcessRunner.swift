import Foundation
import InfraCore
import Logging
import Subprocess
import SystemPackage

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Runs a local program to completion with its output captured: the one place `infra` starts
/// processes (`sh` for the local host, `ssh` for remote ones).
///
/// Each process gets a session of its own, so a timeout or cancellation stops it and everything
/// it started, and a Ctrl-C on the terminal reaches `infra` alone.
struct ProcessRunner: Sendable {
  /// The most a process may print on each stream before it is stopped.
  var outputLimit = 1 << 30

  /// The exit code when the process was killed by a signal: 128 + the signal, as shells report.
  static func code(_ status: TerminationStatus) -> Int32 {
    switch status {
    case .exited(let code): code
    case .signaled(let signal): 128 + signal
    }
  }

  /// Runs `executable` with `arguments`; `timeout` stops it and throws `timedOut`.
  /// `host` and `display` only name the command in errors and logs.
  func run(
    _ executable: Executable, _ arguments: [String], input: Data?, timeout: Duration?,
    host: String, display: ShellCommand
  ) async throws -> CommandResult {
    let work: @Sendable () async throws -> CommandResult = {
      let clock = ContinuousClock()
      let start = clock.now
      let result = try await spawn(
        executable, arguments, input: input, display: display, host: host)
      transportLogger.debug(
        "run exited \(result.exitCode) after \((clock.now - start).shortDescription): \(display.logged)",
        metadata: [
          "host": "\(host)", "stdin": "\(input?.count ?? 0)", "stdout": "\(result.stdout.count)",
          "stderr": "\(result.stderr.count)",
        ])
      return result
    }
    guard let timeout else { return try await work() }
    return try await withThrowingTaskGroup(of: CommandResult?.self) { group in
      group.addTask { try await work() }
      group.addTask {
        try await Task.sleep(for: timeout)
        return nil
      }
      let first = try await group.next() ?? nil
      group.cancelAll()
      guard let result = first else {
        throw TransportError.timedOut(host: host, command: display.string, after: timeout)
      }
      return result
    }
  }

  private func spawn(
    _ executable: Executable, _ arguments: [String], input: Data?, display: ShellCommand,
    host: String
  ) async throws -> CommandResult {
    var options = PlatformOptions()
    options.createSession = true
    options.teardownSequence = [
      .send(signal: .terminate, toProcessGroup: true, allowedDurationToNextStep: .seconds(2)),
      .send(signal: .kill, toProcessGroup: true, allowedDurationToNextStep: .seconds(1)),
    ]
    let configuration = Configuration(
      executable: executable, arguments: Arguments(arguments), platformOptions: options)
    do {
      let result =
        if let input {
          // From a file rather than a pipe: a command that exits without reading its input
          // cannot make the write fail (swift-subprocess 1.0.2 traps on a failed input write).
          try await Subprocess.run(
            configuration,
            input: .fileDescriptor(
              try InputFile.descriptor(holding: input), closeAfterSpawningProcess: true),
            output: .data(limit: outputLimit), error: .data(limit: outputLimit))
        } else {
          try await Subprocess.run(
            configuration, input: .none, output: .data(limit: outputLimit),
            error: .data(limit: outputLimit))
        }
      return CommandResult(
        exitCode: Self.code(result.terminationStatus), stdout: result.standardOutput,
        stderr: result.standardError)
    } catch let error as SubprocessError {
      throw TransportError.commandFailed(
        host: host, command: display.string, exitCode: -1, stderr: "\(error)")
    }
  }
}

/// Standard input for a command, written in full before the command starts.
enum InputFile {
  /// An unlinked temporary file holding `data`, positioned at its start: it needs no cleanup
  /// and disappears when the last descriptor to it is closed.
  static func descriptor(holding data: Data) throws -> FileDescriptor {
    var template = Array((NSTemporaryDirectory() + "/infra-input-XXXXXX").utf8CString)
    let descriptor = mkstemp(&template)
    guard descriptor >= 0 else {
      throw TransportError.fileError(
        host: "local", path: NSTemporaryDirectory(),
        reason: "cannot create a temporary file: \(String(cString: strerror(errno)))")
    }
    unlink(template)
    let file = FileDescriptor(rawValue: descriptor)
    do {
      _ = try file.writeAll(data)
      _ = try file.seek(offset: 0, from: .start)
    } catch {
      try? file.close()
      throw TransportError.fileError(
        host: "local", path: NSTemporaryDirectory(),
        reason: "cannot write a temporary file: \(error)")
    }
    return file
  }
}

/// Every command, put and get, at debug level: what `infra -v` shows.
let transportLogger = Logger(label: "infra.transport")

extension ShellCommand {
  /// The command for a log line: whole when short, its start and length otherwise.
  var logged: String {
    let text = string
    return text.count <= 300 ? text : String(text.prefix(300)) + "… (\(text.count) characters)"
  }
}
