import Foundation
import InfraCore

#if canImport(Glibc)
  import Glibc
#endif

/// A request or notification a program sent to infra.
package struct IncomingRequest: Sendable {
  package var method: String
  /// `nil` for a notification, which gets no answer.
  package var id: RPC.ID?
  /// The whole message, to read its params as the method needs them.
  var line: Data

  /// The params, read as `method` needs them; a missing or mistyped field is an `invalidParams`
  /// error that names it.
  package func params<Params: Decodable>(_ type: Params.Type = Params.self) throws -> Params {
    do {
      guard let params = try JSONDecoder().decode(RPC.Params<Params>.self, from: line).params
      else {
        throw RPC.RemoteError(.invalidParams, "'\(method)' needs params")
      }
      return params
    } catch let error as RPC.RemoteError {
      throw error
    } catch {
      throw RPC.RemoteError(.invalidParams, "'\(method)': \(RPC.describe(error, within: "params"))")
    }
  }
}

extension ProgramChannel {
  /// Reads the program's output line by line until it ends, then reaps the program and ends
  /// the conversation. Each byte is looked at once (`LineFramer`), so a long line costs no
  /// more than its length, and one over `maxMessageBytes` stops the program.
  func readMessages() {
    guard let descriptor = process.output else { return }
    var framer = LineFramer(limit: maxMessageBytes)
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
      let count = read(descriptor, &chunk, chunk.count)
      if count < 0 && errno == EINTR { continue }
      guard count > 0 else { break }
      // Past the limit nothing more is kept: the program is being stopped.
      if framer.overflowed { continue }
      let framed = chunk.withUnsafeBytes { bytes in
        framer.append(UnsafeRawBufferPointer(rebasing: bytes[0..<count]), onLine: receive)
      }
      if !framed {
        protocolError(
          "it sent a message of more than \(maxMessageBytes.grouped) bytes, the most infra reads from it (`max_message_bytes:` of its entry in infra.yaml)"
        )
      }
    }
    // Its standard error ends at the same moment; wait a little for the last of it, which
    // says why, before telling anyone.
    for _ in 0..<200 where !state.withLock({ $0.stderrEnded }) { usleep(10_000) }
    let how = "\(process.wait())"
    state.withLock { $0.exit = how }
    end("it \(how)", method: nil)
  }

  /// Keeps the last 64 KiB of the program's standard error, for the errors about it.
  func readErrors() {
    guard let descriptor = process.errors else { return }
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
      let count = read(descriptor, &chunk, chunk.count)
      if count < 0 && errno == EINTR { continue }
      guard count > 0 else { break }
      stderrTail.withLock { tail in
        tail.append(contentsOf: chunk[0..<count])
        if tail.count > Self.stderrLimit { tail = Data(tail.suffix(Self.stderrLimit)) }
      }
    }
    state.withLock { $0.stderrEnded = true }
  }

  private func receive(_ line: Data) {
    transcript?(false, String(decoding: line, as: UTF8.self))
    programLogger.debug("← \(logged(line))", metadata: ["program": "\(name)"])
    let id: Int
    let error: RPC.RemoteError?
    let hasResult: Bool
    switch IncomingLine.read(line) {
    case .invalid(let why):
      protocolError(why)
      return
    case .request(let request):
      if request.id == nil {
        notifications(request)
      } else {
        serve(request)
      }
      return
    case .answer(let answered, let failure, let result):
      (id, error, hasResult) = (answered, failure, result)
    }
    let (waiting, expected) = state.withLock { state in
      (
        state.pending.removeValue(forKey: id),
        state.abandoned.remove(id) != nil || state.ended != nil
      )
    }
    guard let (method, continuation) = waiting else {
      // An answer to a call abandoned meanwhile is expected; any other is a protocol error.
      if !expected {
        let shown = String(decoding: line.prefix(200), as: UTF8.self)
        protocolError(
          "it answered id \(id), which infra never asked or had already answered: \(shown)")
      }
      return
    }
    if let error {
      continuation.resume(throwing: error)
    } else if hasResult {
      continuation.resume(returning: line)
    } else {
      continuation.resume(
        throwing: failure(method, "it answered id \(id) with neither a result nor an error"))
    }
  }

  /// Answers one of the program's requests through `handler`.
  private func serve(_ request: IncomingRequest) {
    let number = state.withLock { state -> Int in
      defer { state.nextServing += 1 }
      return state.nextServing
    }
    let task = Task { [handler] in
      defer { _ = state.withLock { $0.serving.removeValue(forKey: number) } }
      guard let id = request.id else { return }
      var answer = RPC.Answer(id: id)
      do {
        answer.result = AnyEncodable(try await handler(request))
      } catch let error as RPC.RemoteError {
        answer.error = error
      } catch {
        answer.error = RPC.RemoteError(.failed, "\(error)")
      }
      try? send(answer)
    }
    let ended = state.withLock { state -> Bool in
      guard state.ended == nil else { return true }
      state.serving[number] = task
      return false
    }
    if ended { task.cancel() }
  }
}
