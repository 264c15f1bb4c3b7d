/// One problem found in the user's repository or on a host: what is wrong, where, and what to do.
///
/// Modelled on swift-format's `Finding` and Terraform's `tfdiags`: checks append diagnostics and
/// go on, so that one run reports every problem at once.
public struct Diagnostic: Error, Hashable, Sendable, Codable, CustomStringConvertible {
  public enum Severity: String, Hashable, Sendable, Codable {
    case error
    case warning
  }

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
    public var message: String
    public var location: SourceLocation?

    public init(_ message: String, at location: SourceLocation? = nil) {
      self.message = message
      self.location = location
    }
  }

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

  public static func error(
    _ message: String, at location: SourceLocation? = nil, hint: String? = nil,
    notes: [Note] = []
  ) -> Diagnostic {
    Diagnostic(.error, message, at: location, hint: hint, notes: notes)
  }

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
  public private(set) var all: [Diagnostic] = []

  public init(_ diagnostics: [Diagnostic] = []) {
    all = diagnostics
  }

  public mutating func append(_ diagnostic: Diagnostic) {
    all.append(diagnostic)
  }

  public mutating func append(contentsOf other: some Sequence<Diagnostic>) {
    all.append(contentsOf: other)
  }

  public mutating func error(
    _ message: String, at location: SourceLocation? = nil, hint: String? = nil,
    notes: [Diagnostic.Note] = []
  ) {
    append(.error(message, at: location, hint: hint, notes: notes))
  }

  public mutating func warning(
    _ message: String, at location: SourceLocation? = nil, hint: String? = nil,
    notes: [Diagnostic.Note] = []
  ) {
    append(.warning(message, at: location, hint: hint, notes: notes))
  }

  public var hasErrors: Bool { all.contains { $0.severity == .error } }
  public var errors: [Diagnostic] { all.filter { $0.severity == .error } }
  public var warnings: [Diagnostic] { all.filter { $0.severity == .warning } }
  public var isEmpty: Bool { all.isEmpty }
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

  public func makeIterator() -> IndexingIterator<[Diagnostic]> {
    all.makeIterator()
  }
}
