import Foundation

/// Where a template names what: its tags, with their kind and position, as Mustache reads them
/// (delimiter changes included). Rendering is the template library's; this only finds the tag
/// a missing value was asked for, and whether it was asked as text or as a section's test.
struct TemplateTags {
  enum Kind: Equatable {
    /// `{{name}}`, `{{{name}}}`, `{{&name}}`: text put into the file.
    case variable
    /// `{{#name}}`, `{{^name}}`: a test or a loop, for which a missing value is false.
    case section
    /// `{{/name}}`: the end of a section.
    case closing
    /// `{{> name}}`: another template put here, which resource templates cannot do.
    case partial
    /// Anything else: a comment, a closing tag, a pragma, a block.
    case other
  }

  struct Tag: Equatable {
    var kind: Kind
    /// The name the tag looks up, without a transform around it: `tier`, `facts.os.id`.
    var name: String
    /// 1-based, in characters.
    var line: Int
    var column: Int
  }

  private(set) var tags: [Tag] = []

  init(_ text: String) {
    var open = "{{"
    var close = "}}"
    var line = 1
    var column = 1
    var index = text.startIndex
    while index < text.endIndex {
      if text[index...].hasPrefix(open) {
        let (start, startLine, startColumn) = (index, line, column)
        let contentStart = text.index(index, offsetBy: open.count)
        // A triple mustache ends with one more brace than its delimiter.
        let triple = open == "{{" && text[contentStart...].hasPrefix("{")
        let end = triple ? "}" + close : close
        guard let endRange = text.range(of: end, range: contentStart..<text.endIndex) else {
          break
        }
        let content = text[contentStart..<endRange.lowerBound]
        if content.hasPrefix("="), content.hasSuffix("="), content.count > 2 {
          let inner = content.dropFirst().dropLast().split(whereSeparator: \.isWhitespace)
          if inner.count == 2 { (open, close) = (String(inner[0]), String(inner[1])) }
        } else {
          tags.append(Self.tag(content, line: startLine, column: startColumn))
        }
        for character in text[start..<endRange.upperBound] {
          if character == "\n" {
            (line, column) = (line + 1, 1)
          } else {
            column += 1
          }
        }
        index = endRange.upperBound
        continue
      }
      if text[index] == "\n" {
        (line, column) = (line + 1, 1)
      } else {
        column += 1
      }
      index = text.index(after: index)
    }
  }

  private static func tag(_ content: Substring, line: Int, column: Int) -> Tag {
    var body = content
    var kind = Kind.variable
    if let first = body.first {
      switch first {
      case "{", "&":
        body = body.dropFirst()
      case "#", "^":
        kind = .section
        body = body.dropFirst()
      case ">":
        kind = .partial
        body = body.dropFirst()
      case "/":
        kind = .closing
        body = body.dropFirst()
      case "!", "<", "$", "%", "=":
        kind = .other
        body = body.dropFirst()
      default: break
      }
    }
    var name = body.trimmingCharacters(in: .whitespaces)
    // `uppercased(name)`: the name is the innermost argument.
    while let open = name.lastIndex(of: "("), let close = name.firstIndex(of: ")"), open < close {
      name = String(name[name.index(after: open)..<close])
    }
    return Tag(kind: kind, name: name, line: line, column: column)
  }

  /// The first section the template opens and never closes.
  var unclosedSection: Tag? {
    var open: [Tag] = []
    for tag in tags {
      if tag.kind == .section {
        open.append(tag)
      } else if tag.kind == .closing, open.last?.name == tag.name {
        open.removeLast()
      }
    }
    return open.first
  }

  /// The first tag that puts `name` into the file as text, if any.
  func firstVariable(named name: String) -> Tag? {
    tags.first { $0.kind == .variable && $0.name == name }
  }
}
