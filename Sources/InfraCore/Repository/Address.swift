import Foundation

/// A resource's path relative to its prefix folder, e.g. `files/web1/etc/motd` in prefix `prod`.
///
/// The first segment names the connector; the connector owns the layout of the rest.
public struct Address: Hashable, Sendable, Comparable, Codable, CustomStringConvertible {
  /// The prefix folder under `resources/` that holds the resource, e.g. `prod`.
  public let prefix: String
  /// `prefix/path`, unique across the repository: made once, as plans, events and tables name
  /// an address many times. The segments are read from it: an address keeps one string, as a
  /// repository's walk makes one per file (an array of segments was a third of a plan's heap).
  public let description: String

  /// An address from its parts; `segments` must not be empty.
  public init(prefix: String, segments: [String]) {
    precondition(!segments.isEmpty, "an address has at least the connector segment")
    self.prefix = prefix
    description = prefix + "/" + segments.joined(separator: "/")
  }

  /// Path segments below the prefix folder, never empty, never `.` or `..`.
  public var segments: [String] {
    pathBytes.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false).map {
      String(Substring($0))
    }
  }

  /// The bytes of `path`, a view of `description`.
  private var pathBytes: Substring.UTF8View {
    description.utf8.dropFirst(prefix.utf8.count + 1)
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
  public var connector: String { String(Substring(pathBytes[..<connectorEnd])) }

  /// The path below the connector folder, e.g. `web1/etc/motd`.
  public var connectorPath: String {
    connectorEnd == pathBytes.endIndex
      ? "" : String(Substring(pathBytes[pathBytes.index(after: connectorEnd)...]))
  }

  /// Where the connector segment ends in `pathBytes`: at its `/`, or at the end.
  private var connectorEnd: String.Index {
    pathBytes.firstIndex(of: UInt8(ascii: "/")) ?? pathBytes.endIndex
  }

  /// The address as written in plans: `files/web1/etc/motd`.
  public var path: String { String(Substring(pathBytes)) }

  /// The resource file's path in the repository: `resources/prod/files/web1/etc/motd`.
  public var repositoryPath: String { "resources/" + description }

  /// Orders by prefix, then segment by segment in byte order, so a folder's resources stay
  /// together: the paths' bytes compared with `/` as the lowest byte, which is the same order
  /// (no segment holds a `/` or a NUL).
  public static func < (lhs: Address, rhs: Address) -> Bool {
    if lhs.prefix != rhs.prefix { return bytesPrecede(lhs.prefix, rhs.prefix) }
    var (left, right) = (lhs.description, rhs.description)
    let start = lhs.prefix.utf8.count + 1
    return left.withUTF8 { left in
      right.withUTF8 { right in
        var index = start
        while index < left.count, index < right.count {
          let (a, b) = (left[index], right[index])
          if a != b {
            let slash = UInt8(ascii: "/")
            return (a == slash ? 0 : a) < (b == slash ? 0 : b)
          }
          index += 1
        }
        return left.count < right.count
      }
    }
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
