import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Cuts a program's output into its messages, one per line (`connectors/PROTOCOL.md`):
/// each byte is looked at once (memchr finds the line ends), blank lines are skipped, and a
/// line longer than `limit` bytes is never kept whole: once one is, the framer stops and
/// drops everything after.
package struct LineFramer {
  /// The longest line kept, in bytes.
  package let limit: Int
  /// Whether a line went past `limit`; nothing is framed after it.
  package private(set) var overflowed = false
  private var line = Data()

  package init(limit: Int) {
    self.limit = limit
  }

  /// Frames `bytes`, which follow those of the last call: every line they complete goes to
  /// `onLine`, in order. Returns `false` once a line has gone past the limit.
  package mutating func append(_ bytes: UnsafeRawBufferPointer, onLine: (Data) -> Void) -> Bool {
    guard !overflowed, let base = bytes.baseAddress else { return !overflowed }
    var start = 0
    while true {
      let end =
        memchr(base + start, 0x0A, bytes.count - start).map {
          base.distance(to: UnsafeRawPointer($0))
        }
      line.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start..<(end ?? bytes.count)]))
      if line.count > limit {
        overflowed = true
        line = Data()
        return false
      }
      guard let end else { return true }
      if !Self.isBlank(line) { onLine(line) }
      line = Data()
      start = end + 1
      if start == bytes.count { return true }
    }
  }

  /// Whether a line is only spaces, tabs and a carriage return (skipped, as JSON allows).
  private static func isBlank(_ line: Data) -> Bool {
    line.allSatisfy { $0 == 0x20 || $0 == 0x0D || $0 == 0x09 }
  }
}

/// What one line from a program is, read as the channel routes it: a request or notification
/// of the program, an answer to one of infra's calls, or something that is neither.
package enum IncomingLine {
  case request(IncomingRequest)
  case answer(id: Int, error: RPC.RemoteError?, hasResult: Bool)
  /// Not a message infra can take: why, with the start of the line.
  case invalid(String)

  /// Reads the fields that route `line`, not its params or result.
  package static func read(_ line: Data) -> IncomingLine {
    let shown = String(decoding: line.prefix(200), as: UTF8.self)
    guard let header = try? JSONDecoder().decode(RPC.Header.self, from: line),
      header.jsonrpc == "2.0"
    else {
      return .invalid("it printed a line that is not a JSON-RPC 2.0 message: \(shown)")
    }
    if let method = header.method {
      return .request(IncomingRequest(method: method, id: header.id, line: line))
    }
    guard case .number(let id) = header.id else {
      return .invalid("it answered without a numeric id infra had sent: \(shown)")
    }
    return .answer(id: id, error: header.error, hasResult: header.hasResult)
  }
}
