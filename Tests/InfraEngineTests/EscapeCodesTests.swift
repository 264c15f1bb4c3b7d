import Foundation
import InfraTestSupport
import Testing

@testable import InfraEngine

/// What a run's `stdout` keeps of the lines a person saw, and the run ids its folders are
/// named by.
@Suite struct EscapeCodesTests {
  @Test(arguments: [
    ("plain text", "plain text"),
    ("\u{1B}[1;31merror\u{1B}[0m: it failed", "error: it failed"),
    ("\u{1B}[2K\u{1B}[1Gprogress\u{1B}[?25h", "progress"),
    ("ünïcödé \u{1B}[32m✓\u{1B}[m ok", "ünïcödé ✓ ok"),
    ("an ESC alone \u{1B} stays", "an ESC alone \u{1B} stays"),
    ("no letter \u{1B}[12;", "no letter \u{1B}[12;"),
    ("not a code \u{1B}[1;=]", "not a code \u{1B}[1;=]"),
    ("a letter ends it \u{1B}[1;x]", "a letter ends it ]"),
    ("\u{1B}[", "\u{1B}["),
    ("\u{1B}[\u{1B}[0mx", "\u{1B}[x"),
    ("", ""),
  ])
  func codesAreRemovedAndNothingElse(text: String, expected: String) {
    #expect(removingEscapeCodes(text) == expected)
  }

  /// The scanner removes exactly what the regular expression it replaced matched.
  @Test func randomTextLosesWhatTheRegularExpressionMatched() {
    var random = SeededGenerator(seed: 7)
    let pieces = ["\u{1B}", "[", "1", "9", ";", "?", "m", "K", "Z", "@", "{", "é", "✓", " ", "x"]
    for _ in 0..<2000 {
      let text = (0..<Int.random(in: 0...24, using: &random)).map { _ in
        pieces.randomElement(using: &random)!
      }.joined()
      let expected = text.replacingOccurrences(
        of: #"\x1B\[[0-9;?]*[A-Za-z]"#, with: "", options: .regularExpression)
      #expect(removingEscapeCodes(text) == expected, "\(text.debugDescription)")
    }
  }

  @Test func runIDsAreTheUTCTimeToTheMillisecondThenRandomHex() throws {
    let date = Date(timeIntervalSince1970: 1_795_815_912.345_6)
    let id = makeRunID(date)
    #expect(id.hasPrefix("20261127T214512.345Z-"), "\(id)")
    let random = try #require(id.split(separator: "-").last)
    #expect(random.count == 6 && random.allSatisfy(\.isHexDigit), "\(id)")
  }
}
