import Foundation
import InfraCore
import Logging
import Synchronization

/// Every message of every connector program, at debug level: what `infra -v` shows.
let connectorLogger = Logger(label: "infra.connector")

/// A JSON-RPC 2.0 conversation with a connector program over its standard input and output,
/// one message per line in both directions (`connectors/PROTOCOL.md`).
///
/// infra's calls wait for their answer with a timeout; the program may call infra back while a
/// call is in progress (`host/run`...), and those requests are answered by `handler`. Anything
/// that breaks the conversation (the program exits or crashes, prints a line that is not a
/// JSON-RPC message, answers an id it was never asked, or stays silent past the timeout) ends
/// it: the program is stopped, every call in progress fails with an error that names the
/// connector, the call and what happened, with the tail of its standard error, and the process
/// is reaped. infra never waits on a program that has gone.
///
/// At most `concurrency` calls are in flight at once (one until the program's `initialize`
/// answer allows more); later calls wait their turn, and their timeout starts once sent.
final class ConnectorChannel: Sendable {
  /// Answers the program's own requests; thrown errors become JSON-RPC errors.
  typealias Handler = @Sendable (_ method: String, _ params: JSONValue) async throws -> JSONValue
  /// Sees every line of the conversation: `true` for infra → program, `false` for the reverse.
  typealias Transcript = @Sendable (_ toProgram: Bool, _ line: String) -> Void

  /// Why a call failed, for people.
  struct Failure: Error, Hashable, CustomStringConvertible {
    var connector: String
    var method: String
    var message: String
    /// The last lines the program wrote to its standard error.
    var stderr: String

    var description: String {
      var text = "connector '\(connector)' failed in '\(method)': \(message)"
      let tail = stderr.trimmingCharacters(in: .whitespacesAndNewlines)
      if !tail.isEmpty { text += "; its standard error ends with:\n" + tail }
      return text
    }
  }

  /// An error the program answered with.
  struct RemoteError: Error, Hashable, CustomStringConvertible {
    var code: Int
    var message: String
    var hint: String?

    var description: String { message }
  }

  let name: String
  private let process: ChildPipes
  private let handler: Handler
  private let transcript: Transcript?
  private let state = Mutex(State())
  private let stderrTail = Mutex(Data())
  private let gate = CallGate()
  private static let stderrLimit = 64 * 1024

  private struct State {
    var nextID = 1
    var pending: [Int: (method: String, continuation: CheckedContinuation<JSONValue, any Error>)] =
      [:]
    /// Set once the conversation is over: why, for every later call.
    var ended: String?
    var inputClosed = false
    /// How the process ended, once it has been reaped.
    var exit: String?
    /// Whether its standard error has ended, so that its last words are in.
    var stderrEnded = false
  }

  /// Starts `arguments` in `directory` with exactly `environment`.
  init(
    name: String, arguments: [String], directory: String, environment: [String: String],
    handler: @escaping Handler, transcript: Transcript? = nil
  ) throws {
    self.name = name
    self.handler = handler
    self.transcript = transcript
    do {
      process = try ChildPipes(arguments, directory: directory, environment: environment)
    } catch {
      throw Failure(connector: name, method: "start", message: "\(error)", stderr: "")
    }
    let output = process.output
    let errors = process.errors
    Thread.detachNewThread { [self] in readErrors(errors) }
    Thread.detachNewThread { [self] in readMessages(output) }
  }

  /// Lets up to `limit` calls be in flight at once (what the program's `initialize` answer
  /// allows).
  func allow(concurrency limit: Int) async {
    await gate.setLimit(limit)
  }

  /// Calls `method` once fewer than the allowed number of calls are in flight, and waits for
  /// its answer, at most `timeout` from when it was sent.
  func call(_ method: String, _ params: JSONValue, timeout: Duration) async throws -> JSONValue {
    await gate.enter()
    do {
      let answer = try await exchange(method, params, timeout: timeout)
      await gate.leave()
      return answer
    } catch {
      await gate.leave()
      throw error
    }
  }

  private func exchange(_ method: String, _ params: JSONValue, timeout: Duration) async throws
    -> JSONValue
  {
    let id = state.withLock { state -> Int in
      defer { state.nextID += 1 }
      return state.nextID
    }
    let message: JSONValue = .object([
      "jsonrpc": .string("2.0"), "id": .int(id), "method": .string(method), "params": params,
    ])
    let timer = Task { [weak self] in
      try await Task.sleep(for: timeout)
      await self?.timeOut(id, "it did not answer '\(method)' within \(timeout.seconds) s")
    }
    defer { timer.cancel() }
    return try await withCheckedThrowingContinuation { continuation in
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
        try send(message)
      } catch {
        // The program closed its input, most likely by exiting: say how it ended when that
        // is known within a moment, since that is the news (`exited with code 127`).
        Task {
          for _ in 0..<200 where state.withLock({ $0.exit == nil }) {
            try? await Task.sleep(for: .milliseconds(10))
          }
          let exit = state.withLock { $0.exit }
          end(exit.map { "it \($0)" } ?? "\(error)", method: method)
        }
      }
    }
  }

  /// Ends the conversation politely: `shutdown`, the input closed, then the process is given
  /// `grace` to exit before it is stopped. Returns how it ended.
  @discardableResult
  func close(grace: Duration = .seconds(5)) async -> String {
    if state.withLock({ $0.ended == nil }) {
      _ = try? await call("shutdown", .object([:]), timeout: grace)
    }
    closeInput()
    // The reading thread reaps the process once its output ends; stop it if it lingers.
    for (wait, signal) in [(grace, SIGTERM), (Duration.seconds(2), SIGKILL), (.seconds(60), 0)] {
      let deadline = ContinuousClock.now + wait
      while ContinuousClock.now < deadline {
        if let exit = state.withLock({ $0.exit }) { return exit }
        try? await Task.sleep(for: .milliseconds(10))
      }
      if signal != 0 { process.signal(signal) }
    }
    return state.withLock { $0.exit } ?? "did not end, even when killed"
  }

  // MARK: the reading side

  private func readMessages(_ descriptor: Int32) {
    var buffer = Data()
    while true {
      let chunk = ChildPipes.read(descriptor)
      if chunk.isEmpty { break }
      buffer.append(chunk)
      while let newline = buffer.firstIndex(of: 0x0A) {
        let line = buffer[buffer.startIndex..<newline]
        buffer = Data(buffer[buffer.index(after: newline)...])
        if !line.allSatisfy({ $0 == 0x20 || $0 == 0x0D || $0 == 0x09 }) { receive(Data(line)) }
      }
    }
    // Its standard error ends at the same moment; wait a little for the last of it, which
    // says why, before telling anyone.
    for _ in 0..<200 where !state.withLock({ $0.stderrEnded }) { usleep(10_000) }
    let how = process.reap(grace: .seconds(2))
    state.withLock { $0.exit = how }
    end("it \(how)", method: nil)
  }

  private func readErrors(_ descriptor: Int32) {
    while true {
      let chunk = ChildPipes.read(descriptor)
      if chunk.isEmpty {
        state.withLock { $0.stderrEnded = true }
        return
      }
      stderrTail.withLock { tail in
        tail.append(chunk)
        if tail.count > Self.stderrLimit { tail = Data(tail.suffix(Self.stderrLimit)) }
      }
    }
  }

  private func send(_ message: JSONValue) throws {
    let line = message.serialized
    transcript?(true, line)
    connectorLogger.debug("→ \(line.prefix(2000))", metadata: ["connector": "\(name)"])
    try process.write(Data((line + "\n").utf8))
  }

  private func receive(_ line: Data) {
    let text = String(decoding: line, as: UTF8.self)
    transcript?(false, text)
    connectorLogger.debug("← \(text.prefix(2000))", metadata: ["connector": "\(name)"])
    let shown = String(decoding: line.prefix(200), as: UTF8.self)
    guard let message = try? JSONDecoder().decode(JSONValue.self, from: line),
      let fields = message.objectValue, fields["jsonrpc"] == .string("2.0")
    else {
      protocolError("it printed a line that is not a JSON-RPC 2.0 message: \(shown)")
      return
    }
    if let method = fields["method"]?.stringValue {
      let id = fields["id"]
      let params = fields["params"] ?? .null
      Task { [handler] in
        guard let id, id != .null else {
          _ = try? await handler(method, params)  // a notification: nothing to answer
          return
        }
        var reply: [String: JSONValue] = ["jsonrpc": .string("2.0"), "id": id]
        do {
          reply["result"] = try await handler(method, params)
        } catch let error as RemoteError {
          reply["error"] = Self.errorObject(error)
        } catch {
          reply["error"] = Self.errorObject(RemoteError(code: -32000, message: "\(error)"))
        }
        try? send(.object(reply))
      }
      return
    }
    guard let id = fields["id"]?.intValue else {
      protocolError("it answered without a numeric id infra had sent: \(shown)")
      return
    }
    let waiting = state.withLock { $0.pending.removeValue(forKey: id) }
    guard let (_, continuation) = waiting else {
      protocolError(
        "it answered id \(id), which infra never asked or had already answered: \(shown)")
      return
    }
    if let result = fields["result"] {
      continuation.resume(returning: result)
    } else if let error = fields["error"]?.objectValue {
      continuation.resume(
        throwing: RemoteError(
          code: error["code"]?.intValue ?? -32000,
          message: error["message"]?.stringValue ?? "an error without a message",
          hint: error["data"]?["hint"]?.stringValue))
    } else {
      continuation.resume(
        throwing: failure("?", "it answered id \(id) with neither a result nor an error"))
    }
  }

  private static func errorObject(_ error: RemoteError) -> JSONValue {
    .object(["code": .int(error.code), "message": .string(error.message)])
  }

  // MARK: ending

  private func timeOut(_ id: Int, _ message: String) async {
    let method = state.withLock { state -> String? in
      guard let method = state.pending[id]?.method else { return nil }
      if state.ended == nil { state.ended = message }
      return method
    }
    guard let method else { return }
    process.signal(SIGKILL)
    // The reading thread ends the conversation once the program is gone, with its last words
    // on standard error (which say what it was doing) and this reason. Should anything keep
    // its output open, the call still ends here.
    for _ in 0..<300 where state.withLock({ $0.exit == nil }) {
      try? await Task.sleep(for: .milliseconds(10))
    }
    end(message, method: method)
  }

  /// Called on the reading thread, which ends the conversation with this reason once the
  /// killed program's output closes.
  private func protocolError(_ message: String) {
    state.withLock { if $0.ended == nil { $0.ended = message } }
    process.signal(SIGKILL)
  }

  /// Ends the conversation for `reason`, failing every call in progress; `method` names the
  /// call the reason is about, when it is about one.
  private func end(_ reason: String, method: String?) {
    // The first reason stands: a timeout stays a timeout when the kill it causes is noticed.
    let (reason, pending) = state.withLock {
      state -> (String, [(String, CheckedContinuation<JSONValue, any Error>)]) in
      if state.ended == nil { state.ended = reason }
      let pending = state.pending.values.map { ($0.method, $0.continuation) }
      state.pending.removeAll()
      return (state.ended ?? reason, pending)
    }
    if method != nil || !pending.isEmpty {
      process.signal(SIGKILL)
    }
    for (name, continuation) in pending {
      continuation.resume(throwing: failure(name, reason))
    }
  }

  private func closeInput() {
    let first = state.withLock { state -> Bool in
      defer { state.inputClosed = true }
      return !state.inputClosed
    }
    if first { process.closeInput() }
  }

  private func failure(_ method: String, _ message: String) -> Failure {
    let tail = stderrTail.withLock { String(decoding: $0.suffix(2048), as: UTF8.self) }
    return Failure(connector: name, method: method, message: message, stderr: tail)
  }
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

extension Duration {
  /// Whole seconds, for messages.
  fileprivate var seconds: Int64 { components.seconds }
}
