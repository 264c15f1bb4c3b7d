import Foundation
import InfraCore

/// The Language Server Protocol's base layer over standard input and output: each message is
/// `Content-Length: N` and a blank line, then N bytes of JSON.
struct LSPConnection: Sendable {
  let input: FileHandle
  let output: FileHandle

  /// The messages as they arrive, read on a thread of their own; the stream ends with the input
  /// (or at a message that cannot be read, after which nothing is in step any more).
  func messages() -> AsyncStream<JSONValue> {
    AsyncStream { continuation in
      let input = self.input
      Thread.detachNewThread {
        var reader = Reader(input: input)
        while let body = reader.next() {
          if let message = try? JSONDecoder().decode(JSONValue.self, from: body) {
            continuation.yield(message)
          }
        }
        continuation.finish()
      }
    }
  }

  /// Sends one message; values known to be secret are masked, as everywhere infra writes.
  func send(_ message: JSONValue) {
    let body = SecretMask.shared.masked(Data(message.serialized.utf8))
    output.write(Data("Content-Length: \(body.count)\r\n\r\n".utf8) + body)
  }

  struct Reader {
    let input: FileHandle
    var buffer = Data()

    /// The next message's body, or `nil` at the end of the input.
    mutating func next() -> Data? {
      while true {
        if let end = buffer.range(of: Data("\r\n\r\n".utf8)) {
          let header = String(decoding: buffer[buffer.startIndex..<end.lowerBound], as: UTF8.self)
          let length = header.split(separator: "\r\n").compactMap { line -> Int? in
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "content-length" else { return nil }
            return Int(parts[1].trimmingCharacters(in: .whitespaces))
          }.first
          guard let length, length >= 0 else { return nil }
          let start = end.upperBound
          while buffer.distance(from: start, to: buffer.endIndex) < length {
            let chunk = input.availableData
            if chunk.isEmpty { return nil }
            buffer.append(chunk)
          }
          let bodyEnd = buffer.index(start, offsetBy: length)
          let body = Data(buffer[start..<bodyEnd])
          buffer = Data(buffer[bodyEnd...])
          return body
        }
        let chunk = input.availableData
        if chunk.isEmpty { return nil }
        buffer.append(chunk)
      }
    }
  }
}
