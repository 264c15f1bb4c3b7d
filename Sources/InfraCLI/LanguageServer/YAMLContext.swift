import Foundation

/// Where a position in a block-style YAML file is: the keys of the mappings around it, and
/// whether it is on a key or in a value. Read from indentation alone, so a file being typed
/// (not valid YAML yet) still has one.
struct YAMLContext {
  /// The keys from the top down to the mapping the position is in; `-` stands for a list item.
  var path: [String]
  /// The key of the line, when the position is in its value (or on the key itself).
  var key: String?
  /// The position is where a key is written (or being typed).
  var onKey: Bool
  /// The word at the position: letters, digits and `._-@/`.
  var word: String
  /// The text of the line before the position.
  var before: String

  /// The part of `word` before the position: what is being typed.
  var typed: String {
    String(before.reversed().prefix(while: Self.isWordCharacter).reversed())
  }

  static func isWordCharacter(_ character: Character) -> Bool {
    character.isLetter || character.isNumber || "._-@/".contains(character)
  }

  /// The context at `line` and `character` (both from 0, characters as UTF-16 units).
  init(text: String, line: Int, character: Int) {
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    let current = line < lines.count ? lines[line] : ""
    let utf16 = Array(current.utf16)
    let cut = min(max(character, 0), utf16.count)
    before = String(decoding: utf16[..<cut], as: UTF16.self)
    let after = String(decoding: utf16[cut...], as: UTF16.self)
    word =
      String(before.reversed().prefix(while: Self.isWordCharacter).reversed())
      + String(after.prefix(while: Self.isWordCharacter))

    var parsed = Self.parse(current)
    if parsed.blank { parsed.keyColumn = before.count }  // a key about to be typed
    let base =
      Self.parents(
        of: line, column: parsed.isItem ? parsed.dashColumn : parsed.keyColumn, lines: lines)
      + (parsed.isItem ? ["-"] : [])
    if let key = parsed.key, before.count > parsed.keyColumn + key.count {
      // In the value of `key`; in a flow mapping (`options: { ro`), maybe at one of its keys.
      let value = before.dropFirst(parsed.keyColumn + key.count + 1)
      let open = value.lastIndex { "{[,".contains($0) }
      let inFlowKey =
        open.map { value[$0] != "[" && !value[$0...].contains(":") } ?? false
        && value.contains("{")
      path = inFlowKey ? base + [key] : base
      self.key = inFlowKey ? nil : key
      onKey = inFlowKey
    } else {
      path = base
      key = parsed.key
      onKey = true
    }
  }

  /// The keys of the mappings that hold a key written at `column` of `line`.
  private static func parents(of line: Int, column: Int, lines: [String]) -> [String] {
    var path: [String] = []
    var column = column
    var index = line - 1
    while index >= 0, column > 0 {
      let parsed = parse(lines[index])
      index -= 1
      guard !parsed.blank else { continue }
      if parsed.isItem, parsed.dashColumn < column, parsed.keyColumn == column {
        // The first key of the list item this mapping is.
        path.append("-")
        column = parsed.dashColumn
        continue
      }
      if parsed.isItem, parsed.dashColumn < column {
        path.append("-")
        column = parsed.dashColumn
      }
      if let key = parsed.key, parsed.keyColumn < column, !parsed.isItem {
        path.append(key)
        column = parsed.keyColumn
      }
    }
    return path.reversed()
  }

  struct Line {
    var blank = false
    var isItem = false
    var dashColumn = 0
    var keyColumn = 0
    var key: String?
  }

  /// A line's indentation, list dash and key (`  - name: files` has its dash at 2, its key at 4).
  static func parse(_ text: String) -> Line {
    var line = Line()
    let trimmed = text.drop { $0 == " " }
    if trimmed.isEmpty || trimmed.hasPrefix("#") {
      line.blank = true
      return line
    }
    var column = text.count - trimmed.count
    var rest = Substring(trimmed)
    if rest == "-" || rest.hasPrefix("- ") {
      line.isItem = true
      line.dashColumn = column
      rest = rest.dropFirst()
      let spaces = rest.prefix { $0 == " " }.count
      column += 1 + spaces
      rest = rest.dropFirst(spaces)
    }
    line.keyColumn = column
    if let colon = rest.firstIndex(of: ":"), !rest.hasPrefix("{"), !rest.hasPrefix("[") {
      let key = rest[..<colon].trimmingCharacters(in: .whitespaces)
      let next = rest.index(after: colon)
      if !key.isEmpty, !key.contains(" ") || key.hasPrefix("\"") || key.hasPrefix("'"),
        next == rest.endIndex || rest[next] == " "
      {
        line.key = key.trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
      }
    } else if !rest.isEmpty, rest.allSatisfy({ $0.isLetter || $0.isNumber || "_-.".contains($0) }) {
      line.key = String(rest)  // a key being typed
    }
    return line
  }
}
