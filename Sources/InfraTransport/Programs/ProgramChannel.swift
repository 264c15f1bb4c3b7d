import Foundation
import InfraCore
import Logging
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// Every message of every program, at debug level: what `infra -v` shows.
let programLogger = Logger(label: "infra.connector")

/// A JSON-RPC 2.0 conversation with a program (a connector, an inventory or a transport) over
/// its standard input and output, one message per line in both directions
/// (`connectors/PROTOCOL.md`).
///
/// infra's calls wait for their answer with a timeout; the program may call infra back while a
/// call is in progress (`host/run`...), and those requests are answered by `handler`. Anything
/// that breaks the conversation (the program exits or crashes, prints a line that is not a
/// JSON-RPC message, answers an id it was never asked, stays silent past the timeout, or a call
/// is abandoned because its task was cancelled) ends it: the program is stopped, every call in
/// progress fails with an error that names the program, the call and what happened, with the
/// tail of its standard error, and the process is reaped. infra never waits on a program that
/// has gone, nor on one whose answer it no longer wants.
///
/// At most `concurrency` calls are in flight at once (one until the program's `initialize`
/// answer allows more); later calls wait their turn, and their timeout starts once sent.
package final class ProgramChannel: Sendable {
  /// Answers the program's own requests; the result is encoded as the answer, and a thrown
  /// error becomes a JSON-RPC error.
  package typealias Handler =
    @Sendable (_ request: IncomingRequest) async throws -> (
      any Encodable & Sendable
    )
  /// Takes the program's notifications (`log`), on the reading thread, in the order they came:
  /// a line logged before an answer is dealt with before the answer reaches its call.
  package typealias Notifications = @Sendable (_ notification: IncomingRequest) -> Void
  /// Sees every line of the conversation: `true` for infra → program, `false` for the reverse.
  package typealias Transcript = @Sendable (_ toProgram: Bool, _ line: String) -> Void

  /// Why a call failed, for people.
  package struct Failure: Error, Hashable, Sendable, CustomStringConvertible {
    /// The program as people know it: `connector 'ops/crontab'`, `transport 'folder'`.
    package var program: String
    package var method: String
    package var message: String
    /// The last lines the program wrote to its standard error.
    package var stderr: String

    package init(program: String, method: String, message: String, stderr: String) {
      self.program = program
      self.method = method
      self.message = message
      self.stderr = stderr
    }

    package var description: String {
      var text = "\(program) failed in '\(method)': \(message)"
      let tail = stderr.trimmingCharacters(in: .whitespacesAndNewlines)
      if !tail.isEmpty { text += "; its standard error ends with:\n" + tail }
      return text
    }
  }

  /// The program as people know it: `connector 'ops/crontab'`.
  package let name: String
  let process: ChildProcess
  let handler: Handler
  let notifications: Notifications
  let transcript: Transcript?
  /// The largest message read from the program; a longer one ends the conversation.
  let maxMessageBytes: Int
  let state = Mutex(State())
  let stderrTail = Mutex(Data())
  private let gate = CallGate()
  /// How many calls that carry sensitive values are in flight: while any is, `-v` logs the size
  /// of each message, not its content.
  let sensitiveCalls = Atomic<Int>(0)
  static let stderrLimit = 64 * 1024

  struct State {
    var nextID = 1
    var pending: [Int: (method: String, continuation: CheckedContinuation<Data, any Error>)] = [:]
    /// Set once the conversation is over: why, for every later call.
    var ended: String?
    /// How the process ended, once it has been reaped.
    var exit: String?
    /// Whether its standard error has ended, so that its last words are in.
    var stderrEnded = false
    /// Calls whose task was cancelled, still in the program's hands: their answers are
    /// ignored when they come.
    var abandoned: Set<Int> = []
    /// The program's requests being answered, cancelled when infra stops the program.
    var serving: [Int: Task<Void, Never>] = [:]
    var nextServing = 0
  }

  /// Starts `arguments` in `directory` with exactly `environment`.
  package init(
    name: String, arguments: [String], directory: String, environment: [String: String],
    handler: @escaping Handler, notifications: @escaping Notifications = { _ in },
    transcript: Transcript? = nil,
    maxMessageBytes: Int = ExternalProgram.defaultMaxMessageBytes
  ) throws {
    self.name = name
    self.maxMessageBytes = maxMessageBytes
    self.handler = handler
    self.notifications = notifications
    self.transcript = transcript
    do {
      process = try ChildProcess(
        arguments, directory: directory, environment: environment, stdin: .pipe, stdout: .pipe,
        stderr: .pipe)
    } catch {
      throw Failure(program: name, method: "start", message: "\(error)", stderr: "")
    }
    Thread.detachNewThread { [self] in readErrors() }
    Thread.detachNewThread { [self] in readMessages() }
  }

  /// Lets up to `limit` calls be in flight at once (what the program's `initialize` answer
  /// allows).
  package func allow(concurrency limit: Int) async {
    await gate.setLimit(limit)
  }

  /// Calls `method` once fewer than the allowed number of calls are in flight, and waits for
  /// its answer, at most `timeout` from when it was sent, read as `Answer`. A missing or
  /// mistyped field of the answer is an error that names the program, the call and the field.
  /// A `sensitive` call (its params or its answer hold sensitive values) is logged without
  /// content, and so is every message while it is in flight.
  package func call<Answer: Decodable>(
    _ method: String, _ params: some Encodable & Sendable, as type: Answer.Type = Answer.self,
    timeout: Duration, sensitive: Bool = false
  ) async throws -> Answer {
    if sensitive { sensitiveCalls.add(1, ordering: .relaxed) }
    defer { if sensitive { sensitiveCalls.subtract(1, ordering: .relaxed) } }
    await gate.enter()
    let line: Data
    do {
      line = try await exchange(method, params, timeout: timeout)
      await gate.leave()
    } catch {
      await gate.leave()
      throw error
    }
    do {
      return try RPC.result(of: line, as: Answer.self)
    } catch {
      throw failure(
        method,
        "its answer does not have the shape '\(method)' answers have: \(RPC.describe(error, within: "result"))"
      )
    }
  }

  private func exchange(_ method: String, _ params: some Encodable & Sendable, timeout: Duration)
    async throws -> Data
  {
    // A call of a task already cancelled is not sent at all.
    try Task.checkCancellation()
    let id = state.withLock { state -> Int in
      defer { state.nextID += 1 }
      return state.nextID
    }
    let message = try RPC.encoder.encode(
      RPC.Request(id: .number(id), method: method, params: params))
    let timer = Deadline(after: timeout) { [weak self] in
      Task {
        await self?.timeOut(
          id, "it did not answer '\(method)' within \(timeout.components.seconds) s")
      }
    }
    defer { timer.cancel() }
    return try await withTaskCancellationHandler {
      try await withCheckedThrowingContinuation { continuation in
        let ended = state.withLock { state -> String? in
          if let ended = state.ended { return ended }
          state.pending[id] = (method, continuation)
          return nil
        }
        if let ended {
          continuation.resume(throwing: failure(method, ended))
          return
        }
        do {
          try write(message)
        } catch {
          // The program closed its input, most likely by exiting: say how it ended when that
          // is known within a moment, since that is the news (`exited with code 127`).
          Task {
            let exit = await exit(within: .seconds(2))
            end(exit.map { "it \($0)" } ?? "\(error)", method: method)
          }
        }
      }
    } onCancel: {
      abandon(id)
    }
  }

  /// Ends the conversation politely: `shutdown`, the input closed, then the process is given
  /// `grace` to exit before it is stopped. Returns how it ended.
  @discardableResult
  package func close(grace: Duration = .seconds(5)) async -> String {
    // A program still busy with calls (abandoned when a run was stopped) would not shut down
    // before it is done with them: it is stopped.
    stopIfBusy()
    if state.withLock({ $0.ended == nil }) {
      _ = try? await call("shutdown", EmptyMessage(), as: EmptyMessage.self, timeout: grace)
    }
    process.closeInput()
    // The reading thread reaps the process once its output ends; stop it if it lingers.
    for (wait, signal) in [(grace, SIGTERM), (Duration.seconds(2), SIGKILL), (.seconds(60), 0)] {
      if let exit = await exit(within: wait) { return exit }
      if signal != 0 { process.signal(signal) }
    }
    return "did not end, even when killed"
  }

  // MARK: writing

  func send(_ message: some Encodable) throws {
    try write(try RPC.encoder.encode(message))
  }

  private func write(_ line: Data) throws {
    transcript?(true, String(decoding: line, as: UTF8.self))
    programLogger.debug("→ \(logged(line))", metadata: ["program": "\(name)"])
    try process.write(line + Data("\n".utf8))
  }
}

extension ProgramChannel {
  /// A message as `-v` shows it: its first 2,000 bytes, or only its size when it may hold a
  /// sensitive value (a sensitive call is in flight, the message marks something sensitive, or
  /// it registers secrets).
  func logged(_ line: Data) -> String {
    if sensitiveCalls.load(ordering: .relaxed) > 0
      || line.range(of: Data(#""sensitive"#.utf8)) != nil
      || line.range(of: Data(#""secret""#.utf8)) != nil
    {
      return "\(line.count) bytes, not shown: they may hold sensitive values"
    }
    return String(decoding: line.prefix(2000), as: UTF8.self)
  }
}

/// `{}`: the params of `shutdown`, and the answer of methods that return nothing.
package struct EmptyMessage: Codable, Sendable, Hashable {
  package init() {}
}

/// Lets a number of calls through at once, the others in the order they came.
private actor CallGate {
  private var limit = 1
  private var running = 0
  private var waiting: [CheckedContinuation<Void, Never>] = []

  func setLimit(_ limit: Int) {
    self.limit = max(1, limit)
    while running < self.limit, !waiting.isEmpty {
      running += 1
      waiting.removeFirst().resume()
    }
  }

  func enter() async {
    if running < limit {
      running += 1
      return
    }
    await withCheckedContinuation { waiting.append($0) }
  }

  func leave() {
    if running <= limit, !waiting.isEmpty {
      waiting.removeFirst().resume()
    } else {
      running -= 1
    }
  }
}
