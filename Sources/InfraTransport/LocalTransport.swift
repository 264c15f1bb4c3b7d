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

/// The machine `infra` runs on: commands through `/bin/sh -c`, files through system calls
/// (or through the shell and `sudo` when the host says `sudo: true`).
public struct LocalTransport: Transport {
  public let host: InventoryHost
  /// The most a command may print on each stream before it is stopped.
  public var outputLimit = 1 << 30

  public init(host: InventoryHost) {
    self.host = host
  }

  public func connect() async throws {}

  public func disconnect() async {}

  public func run(_ command: ShellCommand, input: Data?, timeout: Duration?) async throws
    -> CommandResult
  {
    let command = host.sudo ? command.sudo(user: host.sudoUser) : command
    let host = host.name
    let work: @Sendable () async throws -> CommandResult = {
      let clock = ContinuousClock()
      let start = clock.now
      let result = try await spawn(command, input: input)
      transportLogger.debug(
        "run exited \(result.exitCode) after \((clock.now - start).formatted()): \(command.logged)",
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
        throw TransportError.timedOut(host: host, command: command.string, after: timeout)
      }
      return result
    }
  }

  /// Runs `sh -c` in a session of its own, so that a timeout or cancellation stops the command
  /// and everything it started, and a Ctrl-C on the terminal reaches `infra` alone.
  private func spawn(_ command: ShellCommand, input: Data?) async throws -> CommandResult {
    var options = PlatformOptions()
    options.createSession = true
    options.teardownSequence = [
      .send(signal: .terminate, toProcessGroup: true, allowedDurationToNextStep: .seconds(2)),
      .send(signal: .kill, toProcessGroup: true, allowedDurationToNextStep: .seconds(1)),
    ]
    let configuration = Configuration(
      executable: .path("/bin/sh"), arguments: ["-c", command.string], platformOptions: options)
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
      let code: Int32 =
        switch result.terminationStatus {
        case .exited(let code): code
        case .signaled(let signal): 128 + signal
        }
      return CommandResult(
        exitCode: code, stdout: result.standardOutput, stderr: result.standardError)
    } catch let error as SubprocessError {
      throw TransportError.commandFailed(
        host: host.name, command: command.string, exitCode: -1, stderr: "\(error)")
    }
  }

  public func put(_ content: Data, at path: String, attributes: FileAttributes) async throws {
    try requireAbsolute(path)
    transportLogger.debug(
      "put \(content.count) bytes to \(path)", metadata: ["host": "\(host.name)"])
    if host.sudo {
      let command = FileCommands.put(path, attributes: attributes)
      try await run(command, input: content, timeout: nil).check(command, on: host.name)
      return
    }
    try LocalFiles(host: host.name).write(content, to: path, attributes: attributes)
  }

  public func get(_ path: String) async throws -> Data {
    try requireAbsolute(path)
    transportLogger.debug("get \(path)", metadata: ["host": "\(host.name)"])
    if host.sudo {
      let command = FileCommands.get(path)
      let result = try await run(command, input: nil, timeout: nil)
      switch result.exitCode {
      case 0: return result.stdout
      case FileCommands.notFoundExitCode: throw TransportError.notFound(host: host.name, path: path)
      case FileCommands.notAFileExitCode:
        throw TransportError.fileError(host: host.name, path: path, reason: "not a regular file")
      default:
        try result.check(command, on: host.name)
        return result.stdout
      }
    }
    return try LocalFiles(host: host.name).read(path)
  }

  private func requireAbsolute(_ path: String) throws {
    guard path.hasPrefix("/") else {
      throw TransportError.fileError(
        host: host.name, path: path, reason: "the path must be absolute")
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
