import Foundation
import InfraCore
import Testing

@testable import InfraConnectors

/// Templates rendered by the template library as infra uses it: text as written, values from
/// data and facts, and a value put into the text that the host lacks found and located, while
/// a value a section only tests may be missing.
@Suite struct TemplateUnitTests {
  let values = TemplateValues(
    host: "web1", groups: ["web", "all"],
    data: [
      "port": .int(8080), "ratio": .double(0.5), "name": .string("A & B <c>"),
      "users": .array([.object(["name": .string("ann")]), .object(["name": .string("bob")])]),
      "tls": .object(["cert": .string("/etc/ssl/a.pem")]), "nothing": .null, "on": .bool(true),
      "host": .string("shadowed"),
    ],
    facts: .object(["os": .object(["id": .string("debian")]), "cpus": .int(2)]))

  func render(_ text: String) throws -> Result<String, TemplateRenderer.Problem> {
    let template = try TemplateRenderer.parse(text).get()
    return TemplateRenderer.render(template, text: text, values: values).map(\.text)
  }

  @Test func valuesAreWrittenAsTextWithoutEscaping() throws {
    let text = """
      {{host}} {{data.host}} {{port}} {{ratio}} {{name}} {{{name}}} {{facts.os.id}} {{facts.cpus}}
      {{#groups}}[{{.}}]{{/groups}} {{#users}}{{name}},{{/users}} {{tls.cert}} <{{nothing}}>
      {{#on}}on{{/on}}{{^on}}off{{/on}} {{#nothing}}x{{/nothing}}{{^nothing}}none{{/nothing}}
      """
    #expect(
      try render(text).get() == """
        web1 shadowed 8080 0.5 A & B <c> A & B <c> debian 2
        [web][all] ann,bob, /etc/ssl/a.pem <>
        on none
        """)
  }

  @Test func aValueOnlyTestedBySectionsMayBeMissing() throws {
    let text = "{{#feature}}on {{feature}}{{/feature}}{{^feature}}off{{/feature}}\n"
    #expect(try render(text).get() == "off\n")
    #expect(try render("{{#tls.key}}key {{tls.key}}{{/tls.key}}.").get() == ".")
  }

  @Test func aMissingValueIsLocatedAndNamesTheHost() throws {
    let problem = try #require(
      try render("line one\n  listen {{port}} {{tier}}\n").failure)
    #expect(problem.line == 2 && problem.column == 19)
    #expect(problem.message.contains("{{tier}} is not set for host web1"), "\(problem)")
    let nested = try #require(try render("cert\n{{tls.key}}").failure)
    #expect(nested.line == 2 && nested.column == 1 && nested.message.contains("'tls.key'"))
    let under = try #require(try render("{{#nope.x}}{{/nope.x}}{{nope.y}}").failure)
    #expect(under.column == 23 && under.message.contains("'nope.y'"), "\(under)")
    let fact = try #require(try render("{{facts.memory}}").failure)
    #expect(fact.message.contains("not a fact of web1 (facts: cpus, os)"), "\(fact)")
    // Inside a loop, a name the items lack is looked up outside them, then is missing.
    let inLoop = try #require(try render("{{#users}}{{email}}{{/users}}").failure)
    #expect(inLoop.message.contains("{{email}}") && inLoop.column == 11)
  }

  @Test func factsThatCouldNotBeGatheredAreTheReason() throws {
    var values = values
    (values.facts, values.factsProblem) = (nil, "host web1 is unreachable")
    let template = try TemplateRenderer.parse("{{facts.os.id}}").get()
    let problem = try #require(
      TemplateRenderer.render(template, text: "{{facts.os.id}}", values: values).failure)
    #expect(problem.message.contains("could not be gathered: host web1 is unreachable"))
  }

  @Test func syntaxErrorsPointAtTheTag() throws {
    let unmatched = try #require(TemplateRenderer.parse("abc\nxy {{#a}}q{{/b}} z\n").failure)
    #expect((unmatched.line, unmatched.column) == (2, 11))
    #expect(unmatched.message.contains("does not match the section"))
    let firstLine = try #require(TemplateRenderer.parse("ab {{#a}}{{/b}}").failure)
    #expect((firstLine.line, firstLine.column) == (1, 10))
    let unclosed = try #require(TemplateRenderer.parse("a\n {{#x}}{{#y}}{{/y}}\n").failure)
    #expect((unclosed.line, unclosed.column) == (2, 2))
    #expect(unclosed.message.contains("{{#x}} is never closed"), "\(unclosed)")
    let partial = try #require(TemplateRenderer.parse("x\n {{> header}}").failure)
    #expect((partial.line, partial.column) == (2, 2) && partial.message.contains("{{> header}}"))
  }

  @Test func tagsAreFoundAcrossDelimiterChanges() {
    let tags = TemplateTags("a {{x}}\n{{=<% %>=}}<%#y%><%z%><%/y%> {{{w}}}")
    #expect(
      tags.tags == [
        .init(kind: .variable, name: "x", line: 1, column: 3),
        .init(kind: .section, name: "y", line: 2, column: 12),
        .init(kind: .variable, name: "z", line: 2, column: 18),
        .init(kind: .closing, name: "y", line: 2, column: 23),
      ])
    #expect(TemplateTags("{{{w}}} {{& v }}").tags.map(\.name) == ["w", "v"])
  }
}

extension Result {
  fileprivate var failure: Failure? {
    if case .failure(let failure) = self { failure } else { nil }
  }
}

/// Modes written as chmod writes them symbolically name a whole mode.
@Suite struct SymbolicModeTests {
  @Test(arguments: [
    ("u=rw,g=r,o=", 0o640), ("a=r,u+w", 0o644), ("u=rwx,go=rx", 0o755),
    ("u=rwxs,g=rx,o=rx", 0o4755),
    ("u=rwx,g=rwxs,o=", 0o2770), ("a=rwx,+t", 0o1777), ("a=rwx,o-wx", 0o774), ("u=rw,u+X", 0o600),
    ("u=rwx,g=X", 0o710), ("=r", 0o444), ("u=", 0o000),
  ])
  func symbolicModesAreWholeModes(_ text: String, _ mode: Int) {
    #expect(FileMode.parseSymbolic(text) == UInt32(mode), "\(text)")
  }

  @Test(arguments: ["", "u", "u=q", "rw", "u=rw,", "z=r", "u=rw g=r"])
  func otherTextIsNoMode(_ text: String) {
    #expect(FileMode.parseSymbolic(text) == nil, "\(text)")
  }
}
