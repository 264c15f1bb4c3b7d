/// A resource's path relative to its prefix folder, e.g. `files/web1/etc/motd` in prefix `prod`.
///
/// The first segment names the connector; the connector owns the layout of the rest.
public struct Address: Hashable, Sendable, Comparable, Codable, CustomStringConvertible {
  /// The prefix folder under `resources/` that holds the resource, e.g. `prod`.
  public var prefix: String
  /// Path segments below the prefix folder, never empty, never `.` or `..`.
  public var segments: [String]

  /// An address from its parts; `segments` must not be empty.
  public init(prefix: String, segments: [String]) {
    precondition(!segments.isEmpty, "an address has at least the connector segment")
    self.prefix = prefix
    self.segments = segments
  }

  /// The connector folder this address belongs to.
  public var connector: String { segments[0] }

  /// The path below the connector folder, e.g. `web1/etc/motd`.
  public var connectorPath: String { segments.dropFirst().joined(separator: "/") }

  /// The address as written in plans: `files/web1/etc/motd`.
  public var path: String { segments.joined(separator: "/") }

  /// The resource file's path in the repository: `resources/prod/files/web1/etc/motd`.
  public var repositoryPath: String { "resources/\(prefix)/\(path)" }

  /// `prefix/path`, unique across the repository.
  public var description: String { "\(prefix)/\(path)" }

  /// Orders by prefix, then segment by segment in byte order, so a folder's resources stay together.
  public static func < (lhs: Address, rhs: Address) -> Bool {
    if lhs.prefix != rhs.prefix { return lhs.prefix < rhs.prefix }
    return lhs.segments.lexicographicallyPrecedes(rhs.segments) {
      $0.utf8.lexicographicallyPrecedes($1.utf8)
    }
  }
}
