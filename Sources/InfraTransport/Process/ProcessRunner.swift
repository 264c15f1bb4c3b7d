import Foundation
import InfraCore
import Logging
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// Runs a local program to completion with its output captured: `sh` for the local host, `ssh`
/// for remote ones, `git`. A ``ChildProcess`` underneath, so a timeout or a cancelled task
/// stops the program and everything it started (SIGTERM to its session, SIGKILL 2 s later if
/// the program itself is still running).
struct ProcessRunner: Sendable {
  /// The most a process may print on each stream before it is stopped.
  var outputLimit = 1 << 30

  /// What a command reads on its standard input.
  enum Input: Sendable {
    /// Written in full before the command starts.
    case data(Data)
    /// Written while it runs.
    case stream(StreamedInput)
  }

  /// Runs `arguments` with `input` written in full before it starts; see
  /// `run(_:feeding:timeout:host:display:)`.
  func run(
    _ arguments: [String], input: Data?, timeout: Duration?, host: String, display: ShellCommand
  ) async throws -> CommandResult {
    try await run(
      arguments, feeding: input.map { .data($0) }, timeout: timeout, host: host, display: display)
  }

  /// Runs `arguments` (the program, found on `PATH` unless it names a path, then its
  /// arguments) with `input` on its standard input; `timeout` stops it and throws `timedOut`,
  /// a cancelled task stops it and throws `CancellationError`. `host` and `display` only name
  /// the command in errors and logs; `output`, when given, gets standard output as it arrives.
  func run(
    _ arguments: [String], feeding input: Input?, timeout: Duration?, host: String,
    display: ShellCommand, output: StreamedOutput? = nil
  ) async throws -> CommandResult {
    let clock = ContinuousClock()
    let start = clock.now
    let child: ChildProcess
    do {
      // Whole input from a file rather than a pipe: a command that exits without reading it
      // cannot make the write fail, and no thread has to feed it.
      let stdin: ChildProcess.Stream =
        switch input {
        case .data(let data): .descriptor(try InputFile.holding(data))
        case .stream: .pipe
        case nil: .null
        }
      child = try ChildProcess(arguments, stdin: stdin, stdout: .pipe, stderr: .pipe)
    } catch {
      throw TransportError.commandFailed(
        host: host, command: display.string, exitCode: -1, stderr: "\(error)")
    }
    let feed = InputFeed()
    if case .stream(let stream) = input { feed.start(stream, into: child) }
    defer { feed.abandon() }
    let race = EndRace()
    let deadline = timeout.map { limit in
      Deadline(after: limit) {
        if race.timeOut() { child.stop() }
      }
    }
    let captured = await withTaskCancellationHandler {
      await Self.capture(child, limit: outputLimit, ended: race, output: output)
    } onCancel: {
      child.stop()
    }
    deadline?.cancel()
    if race.timedOut, let timeout {
      throw TransportError.timedOut(host: host, command: display.string, after: timeout)
    }
    try Task.checkCancellation()
    guard !captured.exceeded else {
      throw TransportError.commandFailed(
        host: host, command: display.string, exitCode: captured.termination.code,
        stderr: "it printed more than \(outputLimit) bytes on one stream and was stopped")
    }
    let result = CommandResult(
      exitCode: captured.termination.code, stdout: captured.stdout, stderr: captured.stderr)
    transportLogger.debug(
      "run exited \(result.exitCode) after \((clock.now - start).shortDescription): \(display.logged)",
      metadata: [
        "host": "\(host)", "stdin": "\(input.map { feed.size(of: $0) } ?? 0)",
        "stdout": "\(result.stdout.count)",
        "stderr": "\(result.stderr.count)",
      ])
    return result
  }

  private struct Captured: Sendable {
    var stdout = Data()
    var stderr = Data()
    var exceeded = false
    var termination = ChildProcess.Termination.exited(0)
  }

  /// Reads both output pipes on a thread of its own until they end, or until the process has
  /// ended and nothing more comes, then says so to `ended` at once: a task that awaits the
  /// result may resume later than that on a busy machine, which must not make a command that
  /// ended in time look timed out.
  ///
  /// Output can stay open after the process ends: an ssh client hands its descriptors to the
  /// multiplexing master, which keeps them for as long as the remote command runs, also after
  /// the client was stopped. So the end of the process is watched too (a thread waits for it
  /// and wakes the reading), and after it what is still arriving is read, but nothing waited
  /// for.
  private static func capture(
    _ child: ChildProcess, limit: Int, ended: EndRace, output: StreamedOutput?
  ) async -> Captured {
    // Without a pipe (descriptors exhausted) the reading ends when the output closes, as
    // poll passes over a negative descriptor.
    let (woken, waker) = Descriptor.closeOnExecPipe() ?? (-1, -1)
    Thread.detachNewThread {
      child.wait()
      var byte: UInt8 = 1
      _ = write(waker, &byte, 1)
      _ = close(waker)
    }
    return await withCheckedContinuation { continuation in
      Thread.detachNewThread {
        var captured = Captured()
        var open = [child.output, child.errors].compactMap { $0 }
        var exited = false
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        reading: while !open.isEmpty {
          var polled = (open + (exited ? [] : [woken])).map {
            pollfd(fd: $0, events: Int16(POLLIN), revents: 0)
          }
          // Once the process has ended, what it wrote is there at once; a pause means the rest
          // is held open by another.
          let ready = poll(&polled, nfds_t(polled.count), exited ? 50 : -1)
          if ready < 0 && errno == EINTR { continue }
          guard ready > 0 else { break }
          for entry in polled where entry.revents != 0 {
            if entry.fd == woken {
              exited = true
              continue
            }
            let count = read(entry.fd, &chunk, chunk.count)
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else {
              open.removeAll { $0 == entry.fd }
              continue
            }
            let isOutput = entry.fd == child.output
            let size = isOutput ? captured.stdout.count : captured.stderr.count
            guard size + count <= limit else {
              captured.exceeded = true
              child.signal(SIGKILL)
              break reading
            }
            if isOutput {
              captured.stdout.append(chunk, count: count)
              output?(Data(chunk[0..<count]))
            } else {
              captured.stderr.append(chunk, count: count)
            }
          }
        }
        // The waiting thread says when the process has ended (and writes nothing else).
        var byte: UInt8 = 0
        if !exited { while read(woken, &byte, 1) < 0 && errno == EINTR {} }
        _ = close(woken)
        captured.termination = child.wait()
        ended.end()
        continuation.resume(returning: captured)
      }
    }
  }
}

/// Which came first for a command: its end, or its timeout.
private final class EndRace: Sendable {
  private let state = Mutex<(ended: Bool, timedOut: Bool)>((false, false))

  /// The command ended (its output closed and it was reaped).
  func end() {
    state.withLock { $0.ended = true }
  }

  /// The timeout passed: true, and from now on `timedOut`, unless the command had ended.
  func timeOut() -> Bool {
    state.withLock { state in
      if !state.ended { state.timedOut = true }
      return state.timedOut
    }
  }

  var timedOut: Bool { state.withLock { $0.timedOut } }
}

/// Streamed standard input: written by a thread of its own (the output is read by another, so
/// neither can wait for the other), until the producer ends or the command is over.
private final class InputFeed: Sendable {
  private let state = Mutex<(sent: Int, abandoned: Bool)>((0, false))

  func start(_ stream: StreamedInput, into child: ChildProcess) {
    Thread.detachNewThread { [self] in
      try? stream.produce { chunk in
        guard !state.withLock({ $0.abandoned }) else { throw CancellationError() }
        try child.write(chunk)
        state.withLock { $0.sent += chunk.count }
      }
      child.closeInput()
    }
  }

  /// The command is over: the producer's next chunk ends it.
  func abandon() {
    state.withLock { $0.abandoned = true }
  }

  /// The bytes of `input` the command was given, for the log.
  func size(of input: ProcessRunner.Input) -> Int {
    switch input {
    case .data(let data): data.count
    case .stream: state.withLock { $0.sent }
    }
  }
}

/// Standard input for a command, written in full before the command starts.
enum InputFile {
  /// An unlinked temporary file holding `data`, positioned at its start: it needs no cleanup
  /// and disappears when the last descriptor to it is closed.
  static func holding(_ data: Data) throws -> Int32 {
    var template = Array((NSTemporaryDirectory() + "/infra-input-XXXXXX").utf8CString)
    let descriptor = Descriptor.closeOnExecTemporaryFile(&template)
    guard descriptor >= 0 else {
      throw TransportError.fileError(
        host: "local", path: NSTemporaryDirectory(),
        reason: "cannot create a temporary file: \(String(cString: strerror(errno)))")
    }
    unlink(template)
    guard Descriptor.writeAll(descriptor, data), lseek(descriptor, 0, SEEK_SET) == 0 else {
      let reason = String(cString: strerror(errno))
      _ = close(descriptor)
      throw TransportError.fileError(
        host: "local", path: NSTemporaryDirectory(),
        reason: "cannot write a temporary file: \(reason)")
    }
    return descriptor
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
