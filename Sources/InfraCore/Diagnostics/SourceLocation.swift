/// A position in a file of the user's repository, 1-based, as editors and compilers print it.
public struct SourceLocation: Hashable, Sendable, Codable, Comparable, CustomStringConvertible {
  /// The file, relative to the repository root when it is inside it (`infra.yaml`,
  /// `resources/prod/files/web1/etc/motd`).
  public var file: String
  /// 1-based line, or `nil` when the whole file is meant.
  public var line: Int?
  /// 1-based column in Unicode scalars, or `nil` when the whole line is meant.
  public var column: Int?

  /// A place in `file`; without `line` the whole file is meant, without `column` the whole line.
  public init(file: String, line: Int? = nil, column: Int? = nil) {
    self.file = file
    self.line = line
    self.column = column
  }

  /// `file:line:column`, `file:line` or `file`, the form terminals and editors link.
  public var description: String {
    var text = file
    if let line {
      text += ":\(line)"
      if let column { text += ":\(column)" }
    }
    return text
  }

  public static func < (lhs: SourceLocation, rhs: SourceLocation) -> Bool {
    (lhs.file, lhs.line ?? 0, lhs.column ?? 0) < (rhs.file, rhs.line ?? 0, rhs.column ?? 0)
  }
}

/// A value together with where it was written, so later checks can point at it.
public struct Located<Value> {
  /// The value as read.
  public var value: Value
  /// Where the value was written.
  public var location: SourceLocation

  /// Ties `value` to the place it was written.
  public init(_ value: Value, at location: SourceLocation) {
    self.value = value
    self.location = location
  }
}

extension Located: Sendable where Value: Sendable {}
extension Located: Equatable where Value: Equatable {}
extension Located: Hashable where Value: Hashable {}
