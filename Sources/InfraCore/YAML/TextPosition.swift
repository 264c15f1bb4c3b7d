import Foundation

/// Where things are in the bytes of a text file, as line and column.
package enum TextPosition {
  /// The line and column (in Unicode scalars) of the first byte of `data` that is not part of
  /// valid UTF-8; the whole file when all of it is valid.
  package static func firstInvalidUTF8(in data: Data, path: String) -> SourceLocation {
    let bytes = [UInt8](data)
    var lineStart = 0
    var line = 1
    // No UTF-8 sequence spans a newline (0x0A is never inside one), so each line is valid or
    // not on its own, and the standard library checks a line at a time quickly.
    while lineStart <= bytes.count {
      let end = newline(in: bytes, from: lineStart)
      let text = bytes[lineStart..<end]
      if String(validating: text, as: UTF8.self) == nil {
        return SourceLocation(file: path, line: line, column: invalidColumn(in: text))
      }
      lineStart = end + 1
      line += 1
    }
    return SourceLocation(file: path)
  }

  /// The index of the first newline of `bytes` at or after `start`, or its end.
  private static func newline(in bytes: [UInt8], from start: Int) -> Int {
    bytes.withUnsafeBytes { (buffer: UnsafeRawBufferPointer) -> Int in
      guard start < buffer.count, let base = buffer.baseAddress,
        let found = memchr(base + start, 0x0A, buffer.count - start)
      else { return buffer.count }
      return base.distance(to: UnsafeRawPointer(found))
    }
  }

  /// The line and column of the scalar at `offset` (counted in scalars) of `text`.
  package static func location(ofScalar offset: Int, in text: String, path: String)
    -> SourceLocation
  {
    let lines = text.unicodeScalars.prefix(offset).split(
      separator: "\n", omittingEmptySubsequences: false)
    return SourceLocation(file: path, line: lines.count, column: (lines.last?.count ?? 0) + 1)
  }

  /// The 1-based column, in scalars, of the first invalid sequence in `line`.
  private static func invalidColumn(in line: ArraySlice<UInt8>) -> Int {
    var iterator = line.makeIterator()
    var parser = Unicode.UTF8.ForwardParser()
    var column = 1
    while case .valid = parser.parseScalar(from: &iterator) { column += 1 }
    return column
  }
}
