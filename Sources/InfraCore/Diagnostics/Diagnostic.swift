/// One problem found in the user's repository or on a host: what is wrong, where, and what to do.
///
/// Modelled on swift-format's `Finding` and Terraform's `tfdiags`: checks append diagnostics and
/// go on, so that one run reports every problem at once.
public struct Diagnostic: Error, Hashable, Sendable, Codable, CustomStringConvertible {
  /// How serious a diagnostic is: an error keeps the work from going on; a warning does not.
  public enum Severity: String, Hashable, Sendable, Codable {
    case error
    case warning
  }

  /// Whether it is an error or a warning.
  public var severity: Severity
  /// What is wrong, as one sentence without a trailing period.
  public var message: String
  /// Where it is wrong, when there is a place to point at.
  public var location: SourceLocation?
  /// What to do about it, when there is something to say.
  public var hint: String?
  /// Related places, e.g. the first definition when a name is defined twice.
  public var notes: [Note]

  /// A related place with a message, printed after the diagnostic.
  public struct Note: Hashable, Sendable, Codable {
    /// What the note says about the place.
    public var message: String
    /// The related place, when there is one to point at.
    public var location: SourceLocation?

    /// A note, pointing at `location` when there is one.
    public init(_ message: String, at location: SourceLocation? = nil) {
      self.message = message
      self.location = location
    }
  }

  /// A diagnostic of any severity; `error(_:)` and `warning(_:)` name theirs.
  public init(
    _ severity: Severity, _ message: String, at location: SourceLocation? = nil,
    hint: String? = nil, notes: [Note] = []
  ) {
    self.severity = severity
    self.message = message
    self.location = location
    self.hint = hint
    self.notes = notes
  }

  /// An error: something that keeps the load or the run from going on.
  public static func error(
    _ message: String, at location: SourceLocation? = nil, hint: String? = nil,
    notes: [Note] = []
  ) -> Diagnostic {
    Diagnostic(.error, message, at: location, hint: hint, notes: notes)
  }

  /// A warning: worth telling, but nothing stops for it.
  public static func warning(
    _ message: String, at location: SourceLocation? = nil, hint: String? = nil,
    notes: [Note] = []
  ) -> Diagnostic {
    Diagnostic(.warning, message, at: location, hint: hint, notes: notes)
  }

  /// `file:line:column: error: message`, the one-line form compilers print.
  public var description: String {
    let prefix = location.map { "\($0): " } ?? ""
    return "\(prefix)\(severity.rawValue): \(message)"
  }
}

/// An ordered collection of diagnostics that checks append to; never stops at the first.
public struct Diagnostics: Sendable, Sequence {
  /// Every diagnostic, in the order appended.
  public private(set) var all: [Diagnostic] = []

  /// A collection starting with `diagnostics`, in their order.
  public init(_ diagnostics: [Diagnostic] = []) {
    all = diagnostics
  }

  /// Adds one diagnostic at the end.
  public mutating func append(_ diagnostic: Diagnostic) {
    all.append(diagnostic)
  }

  /// Adds several diagnostics at the end, in their order.
  public mutating func append(contentsOf other: some Sequence<Diagnostic>) {
    all.append(contentsOf: other)
  }

  /// Appends an error.
  public mutating func error(
    _ message: String, at location: SourceLocation? = nil, hint: String? = nil,
    notes: [Diagnostic.Note] = []
  ) {
    append(.error(message, at: location, hint: hint, notes: notes))
  }

  /// Appends a warning.
  public mutating func warning(
    _ message: String, at location: SourceLocation? = nil, hint: String? = nil,
    notes: [Diagnostic.Note] = []
  ) {
    append(.warning(message, at: location, hint: hint, notes: notes))
  }

  /// Whether any diagnostic is an error.
  public var hasErrors: Bool { all.contains { $0.severity == .error } }
  /// The errors, in the order appended.
  public var errors: [Diagnostic] { all.filter { $0.severity == .error } }
  /// The warnings, in the order appended.
  public var warnings: [Diagnostic] { all.filter { $0.severity == .warning } }
  /// Whether nothing was found.
  public var isEmpty: Bool { all.isEmpty }
  /// How many diagnostics there are.
  public var count: Int { all.count }

  /// The diagnostics ordered by file and position, located ones first; stable otherwise.
  public var sorted: [Diagnostic] {
    all.enumerated().sorted { lhs, rhs in
      switch (lhs.element.location, rhs.element.location) {
      case (let l?, let r?) where l != r: return l < r
      case (.some, .none): return true
      case (.none, .some): return false
      default: return lhs.offset < rhs.offset
      }
    }.map(\.element)
  }

  /// Goes through the diagnostics in the order appended.
  public func makeIterator() -> IndexingIterator<[Diagnostic]> {
    all.makeIterator()
  }
}

extension String {
  /// At most `limit` characters of the string, with `…` where it was cut: what a message
  /// quotes of a key or a name taken from a file, which can be of any length.
  package func clipped(to limit: Int = 80) -> String {
    count <= limit ? self : prefix(limit) + "…"
  }

  /// At most `limit` bytes of UTF-8, cut between characters, with `…` where it was cut.
  package func clipped(toBytes limit: Int) -> String {
    guard utf8.count > limit else { return self }
    var kept = 0
    var end = startIndex
    for index in indices {
      let width = self[index].utf8.count
      if kept + width > limit { break }
      kept += width
      end = self.index(after: index)
    }
    return self[..<end] + "…"
  }
}
