extension String {
  /// The text with every character that could hide something escaped: control characters
  /// (`\n`, `\t`, `\u{1b}`), so a name cannot break a line of a plan or send the terminal
  /// escapes; and the invisible ones (bidirectional overrides and isolates, zero-width and
  /// other format characters, spaces other than the space, line and paragraph separators,
  /// the combining grapheme joiner and the supplementary variation selectors), so that no
  /// hidden character reorders or pads what a reviewer reads (`\u{202e}` stays `\u{202e}`).
  /// Letters that look alike in some fonts are left as they are.
  var visible: String {
    // Nearly every line is printable ASCII: leave it as it is.
    if utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) { return self }
    var result = ""
    for scalar in unicodeScalars {
      switch scalar {
      case "\n": result += "\\n"
      case "\t": result += "\\t"
      case "\r": result += "\\r"
      case _ where scalar.isHidden:
        result += "\\u{\(String(scalar.value, radix: 16))}"
      default: result.unicodeScalars.append(scalar)
      }
    }
    return result
  }

  /// Text of several lines (a program's error output) as several lines, each `visible`, the
  /// ones after the first indented by `indent`: a message shows its line breaks, and still no
  /// line can pass for one of infra's own.
  func visibleLines(indent: String) -> String {
    guard contains(where: \.isNewline) else { return visible }
    var lines = split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" }
      .map { String($0).visible }
    while lines.last?.isEmpty == true { lines.removeLast() }
    return lines.joined(separator: "\n" + indent)
  }

  /// Like `visible`, but keeps tabs: diff lines legitimately contain them.
  var visibleExceptTabs: String {
    if utf8.allSatisfy({ ($0 >= 0x20 && $0 < 0x7F) || $0 == 0x09 }) { return self }
    return split(separator: "\t", omittingEmptySubsequences: false).map { String($0).visible }
      .joined(separator: "\t")
  }
}

extension Unicode.Scalar {
  /// Whether the character shows nothing, or changes how the characters around it show.
  var isHidden: Bool {
    if value < 0x20 || (0x7F...0x9F).contains(value) { return true }
    switch properties.generalCategory {
    case .format, .lineSeparator, .paragraphSeparator, .control, .surrogate, .privateUse,
      .unassigned:
      return true
    case .spaceSeparator:
      return value != 0x20
    default:
      // What draws as nothing: the Hangul fillers, the Braille blank, the combining grapheme
      // joiner and the supplementary variation selectors (emoji use only U+FE00...U+FE0F).
      return [0x115F, 0x1160, 0x3164, 0xFFA0, 0x2800, 0x034F].contains(value)
        || (0xE0100...0xE01EF).contains(value)
    }
  }
}
