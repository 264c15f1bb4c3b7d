import Foundation
import InfraCore
import Synchronization

/// Renders diagnostics as compilers do: `file:line:column: error: message`, the source line
/// with a caret under the column, then the hint and any notes.
package struct DiagnosticRenderer: Sendable {
  package var style: Styler
  /// The text of a line of a repository file, for the excerpt; `nil` leaves it out.
  package var sourceLine: @Sendable (_ file: String, _ line: Int) -> String?

  package init(
    style: Styler, sourceLine: @escaping @Sendable (String, Int) -> String? = { _, _ in nil }
  ) {
    self.style = style
    self.sourceLine = sourceLine
  }

  /// A renderer that quotes the lines of `repository`'s files, and of no file outside it
  /// (a link out of it is itself the error, and must not show what it leads to). Each file is
  /// read once, however many diagnostics it has.
  static func forRepository(_ repository: Repository, style: Styler) -> DiagnosticRenderer {
    let root = repository.root
    let read = Mutex<[String: [Substring]]>([:])
    return DiagnosticRenderer(style: style) { file, line in
      let url = file.hasPrefix("/") ? URL(fileURLWithPath: file) : root.appending(path: file)
      let lines = read.withLock { cache -> [Substring] in
        if let lines = cache[file] { return lines }
        var lines: [Substring] = []
        if repository.contains(url),
          case .success(let data) = BoundedRead.contents(
            of: url, path: file, limit: YAMLLimits.standard.maxBytes)
        {
          // By scalars: "\r\n" is one Character, and would not split as lines.
          lines = String(decoding: data, as: UTF8.self).unicodeScalars
            .split(separator: "\n", omittingEmptySubsequences: false).map { Substring($0) }
        }
        cache[file] = lines
        return lines
      }
      return lines.indices.contains(line - 1) ? String(lines[line - 1]) : nil
    }
  }

  package func render(_ diagnostics: some Sequence<Diagnostic>) -> String {
    diagnostics.map(render).joined()
  }

  package func render(_ diagnostic: Diagnostic) -> String {
    let label =
      switch diagnostic.severity {
      case .error: style("error:", .bold, .red)
      case .warning: style("warning:", .bold, .yellow)
      }
    var text = ""
    if let location = diagnostic.location {
      text += style("\(location.description.visible):", .bold) + " "
    }
    text += "\(label) \(style(diagnostic.message.visibleLines(indent: "    "), .bold))\n"
    if let location = diagnostic.location, let line = location.line,
      let whole = sourceLine(location.file, line)
    {
      let (source, column) = Self.excerpt(of: whole, at: location.column)
      let number = String(line)
      let gutter = String(repeating: " ", count: number.count)
      text += style(" \(number) | ", .dim) + source.visibleExceptTabs + "\n"
      if let column {
        // Under the character as it is shown: an escaped one takes its escape's width.
        let before = String(
          String.UnicodeScalarView(source.unicodeScalars.prefix(max(0, column - 1))))
        let indent = before.visibleExceptTabs.unicodeScalars.map { $0 == "\t" ? "\t" : " " }
          .joined()
        text += style(" \(gutter) | ", .dim) + indent + style("^", .bold, .green) + "\n"
      }
    }
    if let hint = diagnostic.hint {
      text += "  " + style("hint:", .cyan) + " \(hint.visibleLines(indent: "    "))\n"
    }
    for note in diagnostic.notes {
      let place = note.location.map { "\($0): " } ?? ""
      text += "  " + style("note:", .dim) + " \((place + note.message).visible)\n"
    }
    return text
  }

  /// The widest excerpt of a source line, in scalars: a longer line (a minified file, a line
  /// of 100,000 brackets) is shown around the column, with `…` where it was cut.
  static let excerptWidth = 120

  /// `line`, cut to `excerptWidth` around `column`, and the column in what is left.
  static func excerpt(of line: String, at column: Int?) -> (String, Int?) {
    let scalars = Array(line.unicodeScalars)
    guard scalars.count > excerptWidth else { return (line, column) }
    let at = max(0, (column ?? 1) - 1)
    let start = max(0, min(at - excerptWidth / 2, scalars.count - excerptWidth))
    let end = min(scalars.count, start + excerptWidth)
    var text = String.UnicodeScalarView()
    if start > 0 { text.append("…") }
    text.append(contentsOf: scalars[start..<end])
    if end < scalars.count { text.append("…") }
    return (String(text), column.map { $0 - start + (start > 0 ? 1 : 0) })
  }

  /// `2 errors, 1 warning`, for the last line of a failed validation.
  package static func count(_ diagnostics: Diagnostics) -> String {
    let errors = diagnostics.errors.count
    let warnings = diagnostics.warnings.count
    var parts: [String] = []
    if errors > 0 { parts.append(errors == 1 ? "1 error" : "\(errors) errors") }
    if warnings > 0 { parts.append(warnings == 1 ? "1 warning" : "\(warnings) warnings") }
    return parts.isEmpty ? "no problems" : parts.joined(separator: ", ")
  }
}
