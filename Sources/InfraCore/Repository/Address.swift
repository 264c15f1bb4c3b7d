import Foundation

/// A resource's path relative to its prefix folder, e.g. `files/web1/etc/motd` in prefix `prod`.
///
/// The first segment names the connector; the connector owns the layout of the rest.
public struct Address: Hashable, Sendable, Comparable, Codable, CustomStringConvertible {
  /// The prefix folder under `resources/` that holds the resource, e.g. `prod`.
  public let prefix: String
  /// Path segments below the prefix folder, never empty, never `.` or `..`.
  public let segments: [String]
  /// `prefix/path`, unique across the repository: made once, as plans, events and tables name
  /// an address many times.
  public let description: String

  /// An address from its parts; `segments` must not be empty.
  public init(prefix: String, segments: [String]) {
    precondition(!segments.isEmpty, "an address has at least the connector segment")
    self.prefix = prefix
    self.segments = segments
    description = prefix + "/" + segments.joined(separator: "/")
  }

  private enum CodingKeys: String, CodingKey {
    case prefix, segments
  }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    self.init(
      prefix: try container.decode(String.self, forKey: .prefix),
      segments: try container.decode([String].self, forKey: .segments))
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(prefix, forKey: .prefix)
    try container.encode(segments, forKey: .segments)
  }

  /// The prefix and the segments say all of it: `description` is made from them.
  public static func == (lhs: Address, rhs: Address) -> Bool {
    lhs.description == rhs.description && lhs.prefix == rhs.prefix
  }

  public func hash(into hasher: inout Hasher) {
    hasher.combine(description)
  }

  /// The connector folder this address belongs to.
  public var connector: String { segments[0] }

  /// The path below the connector folder, e.g. `web1/etc/motd`.
  public var connectorPath: String { segments.dropFirst().joined(separator: "/") }

  /// The address as written in plans: `files/web1/etc/motd`.
  public var path: String { String(description.utf8.dropFirst(prefix.utf8.count + 1))! }

  /// The resource file's path in the repository: `resources/prod/files/web1/etc/motd`.
  public var repositoryPath: String { "resources/" + description }

  /// Orders by prefix, then segment by segment in byte order, so a folder's resources stay together.
  public static func < (lhs: Address, rhs: Address) -> Bool {
    if lhs.prefix != rhs.prefix { return lhs.prefix < rhs.prefix }
    return lhs.segments.lexicographicallyPrecedes(rhs.segments, by: bytesPrecede)
  }
}

/// Whether `lhs`'s UTF-8 bytes come before `rhs`'s, compared by `memcmp`: resources are sorted
/// twice per load, and comparing through `UTF8View`'s iterator was a plan's largest sort cost.
func bytesPrecede(_ lhs: String, _ rhs: String) -> Bool {
  var (lhs, rhs) = (lhs, rhs)
  return lhs.withUTF8 { left in
    rhs.withUTF8 { right in
      let common = min(left.count, right.count)
      let order = common == 0 ? 0 : memcmp(left.baseAddress!, right.baseAddress!, common)
      return order != 0 ? order < 0 : left.count < right.count
    }
  }
}
