import Foundation
import InfraTransport
import Testing

/// The framing of a program's output: lines cut anywhere by reads come out whole and in order,
/// blank lines are skipped, and the limit holds at its exact byte.
@Suite struct LineFramerTests {
  /// Frames `text` in pieces of `piece` bytes; the lines, and whether the limit held.
  func frame(_ text: String, piece: Int, limit: Int = 100) -> ([String], Bool) {
    var framer = LineFramer(limit: limit)
    var lines: [String] = []
    var kept = true
    let bytes = Array(text.utf8)
    bytes.withUnsafeBytes { raw in
      var start = 0
      while start < raw.count, kept {
        let end = min(raw.count, start + piece)
        kept = framer.append(UnsafeRawBufferPointer(rebasing: raw[start..<end])) {
          lines.append(String(decoding: $0, as: UTF8.self))
        }
        start = end
      }
    }
    return (lines, kept)
  }

  @Test(arguments: [1, 2, 3, 7, 64])
  func linesCutAnywhereComeOutWhole(_ piece: Int) {
    let (lines, kept) = frame("{\"a\":1}\n\n \t\r\n{\"b\":\"ü\"}\r\n{\"c\":3}\nrest", piece: piece)
    #expect(kept)
    #expect(lines == ["{\"a\":1}", "{\"b\":\"ü\"}\r", "{\"c\":3}"])
  }

  @Test func aLineOfExactlyTheLimitIsKeptAndOneByteMoreIsNot() {
    let exact = String(repeating: "x", count: 100)
    #expect(frame(exact + "\n", piece: 30) == ([exact], true))
    let (lines, kept) = frame("ok\n" + exact + "x\nnever\n", piece: 30)
    #expect(lines == ["ok"])
    #expect(!kept)
  }
}
