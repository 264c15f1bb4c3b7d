import Foundation
import InfraCore
import Testing

@Suite struct JSONWriterTests {
  /// Indented text: two spaces a level, keys sorted, empty containers compact; it parses back.
  @Test func prettyTextIsIndentedAndParsesBack() throws {
    let value = JSONValue.object([
      "b": .array([.int(10), .object([:]), .array([])]),
      "a": .object(["y": .string("\u{1F}\""), "x": .null]),
    ])
    let expected = """
      {
        "a": {
          "x": null,
          "y": "\\u001f\\""
        },
        "b": [
          10,
          {},
          []
        ]
      }
      """
    #expect(value.pretty() == expected)
    #expect(try JSONDecoder().decode(JSONValue.self, from: Data(value.pretty().utf8)) == value)
  }

  /// Strings of every byte below 0x80 and some beyond are escaped as JSONEncoder escapes them.
  @Test func everyControlCharacterIsEscapedAsFoundationDoes() throws {
    let text = String(decoding: (0..<0x80).map(UInt8.init) + Array("é✓🙂".utf8), as: UTF8.self)
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    let expected = String(decoding: try encoder.encode(JSONValue.string(text)), as: UTF8.self)
    #expect(JSONValue.string(text).serialized == expected)
  }

  /// The hand-made timestamp is what Foundation's ISO 8601 style writes, over many instants
  /// (before 1970, leap days, the end of a year), each inside its millisecond: for an instant
  /// a hair below a whole millisecond the two may floor a different binary fraction.
  @Test func timestampsMatchFoundationsISO8601Style() {
    let style = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
    var milliseconds: [Int64] = [0, -1, 951_782_400_999, 1_796_601_599_999, 4_102_444_800_000]
    for _ in 0..<2000 {
      milliseconds.append(Int64.random(in: -2_000_000_000_000...8_000_000_000_000))
    }
    for count in milliseconds {
      let date = Date(timeIntervalSince1970: (Double(count) + 0.4) / 1000)
      #expect(UTCTimestamp.milliseconds(date) == style.format(date), "at \(count) ms")
    }
    #expect(
      UTCTimestamp.milliseconds(Date(timeIntervalSince1970: -0.0005)) == "1969-12-31T23:59:59.999Z")
    #expect(
      UTCTimestamp.milliseconds(Date(timeIntervalSince1970: 1_125_401_067.681))
        == "2005-08-30T11:24:27.681Z")
  }
}
