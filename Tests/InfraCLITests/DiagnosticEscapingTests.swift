import Foundation
import InfraCore
import Testing

@testable import InfraCLI

/// What a diagnostic shows of a file is what is there: every part escaped, the caret under
/// the character as it is shown, and a long line cut around it.
@Suite struct DiagnosticEscapingTests {
  func render(_ diagnostic: Diagnostic, line: String) -> String {
    DiagnosticRenderer(style: .plain) { _, _ in line }.render(diagnostic)
  }

  @Test func theCaretStaysUnderTheCharacterWhenAnEarlierOneIsEscaped() {
    // A no-break space, a common paste into YAML, is shown as \u{a0}: six columns for one.
    let shown = render(
      .error("bad", at: SourceLocation(file: "infra.yaml", line: 1, column: 8)),
      line: "key:\u{A0}[ x")
    let lines = shown.split(separator: "\n").map(String.init)
    #expect(lines[1] == " 1 | key:\\u{a0}[ x")
    let caret = lines[2].firstIndex(of: "^").map {
      lines[2].distance(from: lines[2].startIndex, to: $0)
    }
    let bracket = lines[1].firstIndex(of: "x").map {
      lines[1].distance(from: lines[1].startIndex, to: $0)
    }
    #expect(caret == bracket, "\(shown)")
  }

  @Test func theLocationTheHintAndTheNotesAreEscapedLikeTheMessage() {
    let diagnostic = Diagnostic.error(
      "a \u{202E} b", at: SourceLocation(file: "resources/p/files/h/x\u{1B}]0;t\u{07}"),
      hint: "did you mean 'a\u{202E}'?",
      notes: [Diagnostic.Note("see\u{200B}here")])
    let shown = render(diagnostic, line: "")
    for raw in ["\u{202E}", "\u{1B}", "\u{07}", "\u{200B}"] {
      #expect(!shown.contains(raw), "\(shown.debugDescription)")
    }
    #expect(shown.contains("x\\u{1b}]0;t\\u{7}: error: a \\u{202e} b"), "\(shown)")
    #expect(shown.contains("hint: did you mean 'a\\u{202e}'?"), "\(shown)")
    #expect(shown.contains("note: see\\u{200b}here"), "\(shown)")
  }

  @Test func aLongLineIsCutAroundTheColumn() {
    let line = String(repeating: "[", count: 5_000) + "x" + String(repeating: "]", count: 5_000)
    let shown = render(
      .error("deep", at: SourceLocation(file: "infra.yaml", line: 1, column: 5_001)), line: line)
    let lines = shown.split(separator: "\n").map(String.init)
    #expect(lines[1].count < 140, "\(lines[1].count)")
    #expect(lines[1].hasPrefix(" 1 | …[[[") && lines[1].hasSuffix("]]]…"), "\(lines[1])")
    let caret = lines[2].firstIndex(of: "^").map {
      lines[2].distance(from: lines[2].startIndex, to: $0)
    }
    let x = lines[1].firstIndex(of: "x").map {
      lines[1].distance(from: lines[1].startIndex, to: $0)
    }
    #expect(caret == x)
  }

  /// A program's error output in a message keeps its lines, each indented and escaped, rather
  /// than showing a literal `\n`.
  @Test func aMessageOfSeveralLinesShowsThemIndented() {
    let shown = render(
      .error(
        "it failed; its standard error ends with:\nTraceback:\r\n  File \"x\u{1B}[2J.py\"\n",
        at: SourceLocation(file: "infra.yaml")),
      line: "")
    #expect(
      shown
        == "infra.yaml: error: it failed; its standard error ends with:\n    Traceback:\n      File \"x\\u{1b}[2J.py\"\n",
      "\(shown.debugDescription)")
  }
}
