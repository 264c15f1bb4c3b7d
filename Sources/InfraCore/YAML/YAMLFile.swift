import Foundation
import Yams

/// A YAML file composed into Yams nodes, which keep the line and column of every value.
///
/// Decoding from nodes (rather than through `[String: Any]`) is what lets every diagnostic say
/// `infra.yaml:12:7`.
package struct YAMLFile {
  /// The file as the user knows it, relative to the repository root.
  package let path: String
  /// The document's root node; `nil` for an empty document.
  package let root: Node?

  /// Parses `text`, or returns the syntax error, or the limit it breaks, as a located
  /// diagnostic.
  package static func parse(_ text: String, path: String, limits: YAMLLimits = .standard)
    -> Result<YAMLFile, Diagnostic>
  {
    if let breach = limits.check(text, path: path) { return .failure(breach) }
    do {
      let root = try Yams.compose(yaml: text)
      return .success(YAMLFile(path: path, root: root))
    } catch let error as YamlError {
      return .failure(diagnostic(for: error, text: text, path: path))
    } catch {
      return .failure(.error("cannot parse YAML: \(error)", at: SourceLocation(file: path)))
    }
  }

  /// Reads and parses the file at `url`; `path` is the name shown in diagnostics.
  package static func load(from url: URL, path: String, limits: YAMLLimits = .standard)
    -> Result<YAMLFile, Diagnostic>
  {
    switch BoundedRead.contents(of: url, path: path, limit: limits.maxBytes) {
    case .success(let data): return decode(data, path: path, limits: limits)
    case .failure(let diagnostic): return .failure(diagnostic)
    }
  }

  /// Parses the bytes of a file: the same limits, and invalid UTF-8 located.
  package static func decode(_ data: Data, path: String, limits: YAMLLimits = .standard)
    -> Result<YAMLFile, Diagnostic>
  {
    guard let text = String(validating: data, as: UTF8.self) else {
      return .failure(
        .error(
          "the file is not valid UTF-8 text",
          at: TextPosition.firstInvalidUTF8(in: data, path: path), hint: "save it as UTF-8"))
    }
    return parse(text, path: path, limits: limits)
  }

  /// The location of `node` in this file.
  package func location(of node: Node) -> SourceLocation {
    SourceLocation(file: path, line: node.mark?.line, column: node.mark?.column)
  }

  private static func diagnostic(for error: YamlError, text: String, path: String) -> Diagnostic {
    func located(_ problem: String, _ mark: Mark, _ context: YamlError.Context?) -> Diagnostic {
      var message = "invalid YAML: \(problem)"
      if let context, !context.text.isEmpty, context.text != text {
        message += " (\(context.text) at \(context.mark.line):\(context.mark.column))"
      }
      return .error(
        message, at: SourceLocation(file: path, line: mark.line, column: mark.column),
        hint: "check the indentation and quoting on this line and the one above")
    }
    switch error {
    case .scanner(let context, let problem, let mark, _),
      .parser(let context, let problem, let mark, _),
      .composer(let context, let problem, let mark, _):
      return located(problem, mark, context)
    case .duplicatedKeysInMapping(let duplicates, let context):
      let names = duplicates.map { "'\($0.clipped())'" }.joined(separator: ", ")
      return .error(
        "duplicate key \(names) in one mapping",
        at: SourceLocation(file: path, line: context.mark.line, column: context.mark.column),
        hint: "keep one of them; YAML mappings cannot repeat a key")
    case .reader(let problem, let offset, _, _):
      let location =
        offset.map { TextPosition.location(ofScalar: $0, in: text, path: path) }
        ?? SourceLocation(file: path)
      return .error("cannot read YAML: \(problem)", at: location)
    default:
      return .error("invalid YAML: \(error)", at: SourceLocation(file: path))
    }
  }
}
