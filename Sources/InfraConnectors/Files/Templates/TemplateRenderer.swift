import Foundation
import InfraCore
import Mustache

/// What the templates of one host are rendered with: its name, groups, merged data and facts.
///
/// A template reads `{{host}}`, `{{#groups}}…{{/groups}}`, `{{facts.os.id}}`, and each data key
/// by its name (`{{port}}`) or as `{{data.port}}`, which always reaches the data even where a
/// key is named `host`, `groups`, `facts` or `data`.
struct TemplateValues: Sendable, Hashable {
  var host: String
  var groups: [String]
  var data: [String: JSONValue]
  /// `nil` when they could not be gathered.
  var facts: JSONValue?
  /// Why the facts could not be gathered.
  var factsProblem: String?
  /// The paths of `data` whose values are secrets (`{ secret: { file: … } }`): a template that
  /// reads one renders a sensitive file.
  var secrets: Set<String> = []
  /// Secrets that could not be had, by path, with why.
  var unavailableSecrets: [String: String] = [:]

  static let reserved: Set<String> = ["host", "groups", "facts", "data"]

  var root: [String: JSONValue] {
    var root = data
    root["data"] = .object(data)
    root["host"] = .string(host)
    root["groups"] = .array(groups.map(JSONValue.string))
    root["facts"] = facts ?? .object([:])
    return root
  }
}

/// Renders resource templates with the template library (Mustache), as text: `{{name}}` puts
/// the value in unchanged (no HTML escaping, which would break configuration files; a template
/// for a web page starts with `{{% CONTENT_TYPE: HTML }}`). A value a template puts into the
/// file that the host does not have is an error located in the template, never an empty
/// string; a missing value tested by a section is false, as Mustache has it.
enum TemplateRenderer {
  /// Why a template cannot be used, at a line and column of its file.
  struct Problem: Error, Equatable {
    var message: String
    var line: Int
    var column: Int
  }

  /// Put before every template, on its first line: text, not HTML.
  private static let pragma = "{{% CONTENT_TYPE: TEXT }}"

  static func parse(_ text: String) -> Result<MustacheTemplate, Problem> {
    if let partial = TemplateTags(text).tags.first(where: { $0.kind == .partial }) {
      return .failure(
        Problem(
          message:
            "{{> \(partial.name)}} includes another template, which resource templates cannot do; put the text here, or a value from the host's data",
          line: partial.line, column: partial.column))
    }
    do {
      return .success(try MustacheTemplate(string: pragma + text))
    } catch let error as MustacheTemplate.ParserError {
      if case .expectedSectionEnd = error.error as? MustacheTemplate.Error,
        let section = TemplateTags(text).unclosedSection
      {
        return .failure(
          Problem(
            message:
              "{{#\(section.name)}} is never closed: end the section with {{/\(section.name)}}",
            line: section.line, column: section.column))
      }
      let context = error.context
      var column =
        context.lineNumber == 1 ? context.columnNumber - pragma.count : context.columnNumber
      // The library stops inside the tag: point at the tag's start.
      let line =
        text.split(separator: "\n", omittingEmptySubsequences: false)
        .dropFirst(context.lineNumber - 1).first.map(Array.init) ?? []
      var index = min(column, line.count) - 1
      while index > 0, !(line[index - 1] == "{" && line[index] == "{") { index -= 1 }
      if index > 0 { column = index - 1 }
      return .failure(
        Problem(
          message: describe(error.error), line: context.lineNumber, column: max(1, column + 1)))
    } catch {
      return .failure(Problem(message: "\(error)", line: 1, column: 1))
    }
  }

  /// A template's output, and whether it read a secret of the host's data.
  struct Rendered: Equatable {
    var text: String
    var readSecret: Bool
  }

  /// `template` (parsed from `text`) rendered with `values`.
  static func render(_ template: MustacheTemplate, text: String, values: TemplateValues)
    -> Result<Rendered, Problem>
  {
    let misses = Misses()
    misses.secrets = values.secrets.union(values.secrets.map { "data.\($0)" })
    let rendered = template.render(ValueBox(path: "", members: values.root, misses: misses))
    let tags = TemplateTags(text)
    // A name missing everywhere renders as its marker where it is put into the text (and is
    // false where a section tests it): those are errors. A path missing inside a value, or
    // under a name missing everywhere, counts where the template puts that path into the text
    // and never tests it with a section.
    let missing = misses.top.filter { rendered.contains(misses.marker($0)) }
    for name in missing {
      guard let tag = tags.firstVariable(named: name) else { continue }
      return .failure(
        Problem(message: explain(name, values: values), line: tag.line, column: tag.column))
    }
    // `user.name` missed inside `user` is missing from `{{user.name}}` and `{{user.name.x}}`;
    // `user` missed at the top, from `{{user.name}}`.
    for path in misses.nested + misses.top.filter({ !missing.contains($0) }) {
      let sections = tags.tags.filter { $0.kind == .section }.map(\.name)
      func under(_ name: String, _ path: String) -> Bool {
        name == path || name.hasPrefix(path + ".")
      }
      // A value is tested by a section on it, or on a value it is inside.
      guard
        let tag = tags.tags.first(where: { tag in
          tag.kind == .variable && under(tag.name, path)
            && !sections.contains { under(tag.name, $0) }
        })
      else { continue }
      return .failure(
        Problem(message: explain(tag.name, values: values), line: tag.line, column: tag.column))
    }
    return .success(Rendered(text: rendered, readSecret: misses.readSecret))
  }

  private static func explain(_ name: String, values: TemplateValues) -> String {
    let first = name.split(separator: ".").first.map(String.init) ?? name
    let key = first == "data" ? String(name.dropFirst(5)) : name
    if let reason = values.unavailableSecrets[key] {
      return "{{\(name)}} is a secret of \(values.host)'s data that cannot be had: \(reason)"
    }
    if first == "facts", let problem = values.factsProblem {
      return
        "{{\(name)}} needs the facts of \(values.host), which could not be gathered: \(problem)"
    }
    if first == "facts" {
      let known = (values.facts?.objectValue?.keys.sorted() ?? []).joined(separator: ", ")
      return "{{\(name)}} is not a fact of \(values.host) (facts: \(known))"
    }
    return
      "{{\(name)}} is not set for host \(values.host): no data of the host, its groups or the defaults has '\(key)' (set it under `data:` in infra.yaml, or test it with {{#\(name)}}…{{/\(name)}})"
  }

  private static func describe(_ error: any Error) -> String {
    guard let error = error as? MustacheTemplate.Error else { return "\(error)" }
    switch error {
    case .sectionCloseNameIncorrect:
      return "this closing tag does not match the section it closes"
    case .unfinishedName:
      return "this tag is not closed, or its name has characters a name cannot have"
    case .expectedSectionEnd:
      return "a section is still open at the end of the template: end it with {{/NAME}}"
    case .invalidSetDelimiter:
      return "this delimiter change is malformed: write it as {{=<% %>=}}"
    case .invalidConfigVariableSyntax, .unrecognisedConfigVariable:
      return
        "this {{% …}} pragma is not one the template library knows (CONTENT_TYPE: TEXT or HTML)"
    case .transformAppliedToInheritanceSection, .illegalTokenInsideInheritSection,
      .textInsideInheritSection:
      return "template inheritance is not available in resource templates"
    }
  }
}

/// The names lookups did not find during one render.
private final class Misses {
  /// Names missing from the top, where every lookup ends that nothing else answered.
  var top: [String] = []
  /// Paths missing inside values: `user.name`.
  var nested: [String] = []
  /// The paths whose values are secrets, and whether the render read one.
  var secrets: Set<String> = []
  var readSecret = false
  private let token = UUID().uuidString

  /// What a name missing from the top renders as, where it is put into the text.
  func marker(_ name: String) -> String { "\u{1}\(token):\(name)\u{1}" }
}

/// A mapping of values as the template library looks names up in it, noting what it misses.
private struct ValueBox: MustacheParent {
  let path: String
  let members: [String: JSONValue]
  let misses: Misses

  func child(named name: String) -> Any? {
    let childPath = path.isEmpty ? name : "\(path).\(name)"
    guard let value = members[name] else {
      // Inside a value, nothing: the lookup goes on up the sections, as Mustache has it.
      guard path.isEmpty else {
        misses.nested.append(childPath)
        return nil
      }
      misses.top.append(name)
      return Missing(text: misses.marker(name))
    }
    if misses.secrets.contains(childPath) { misses.readSecret = true }
    return convert(value, path: childPath)
  }

  private func convert(_ value: JSONValue, path: String) -> Any? {
    switch value {
    case .null: return NullValue()
    case .bool(let bool): return bool
    case .int(let int): return int
    case .double(let double): return double
    case .string(let string): return string
    case .array(let items): return items.map { convert($0, path: path) ?? NullValue() }
    case .object(let members): return ValueBox(path: path, members: members, misses: misses)
    }
  }
}

/// A name nothing has: false for a section, its marker in the text.
private struct Missing: MustacheCustomRenderable {
  let text: String
  var renderText: String { text }
  var isNull: Bool { true }
}

/// YAML's `null`: nothing in the text, false for a section.
private struct NullValue: MustacheCustomRenderable {
  var renderText: String { "" }
  var isNull: Bool { true }
}
