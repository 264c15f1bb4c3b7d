/// A connector enabled in a repository: its prefix and its name (its folder below the prefix),
/// written `prefix/name`, unique in a repository.
public struct ConnectorID: Hashable, Sendable, Comparable, Codable, CustomStringConvertible {
  /// The prefix the connector is enabled under.
  public var prefix: String
  /// The connector's name: its folder below the prefix.
  public var name: String

  /// The connector `name` enabled under `prefix`.
  public init(prefix: String, name: String) {
    self.prefix = prefix
    self.name = name
  }

  /// Reads `prefix/name`, as `infra import --connector` takes it; `nil` for anything else.
  public init?(parsing text: String) {
    let parts = text.split(separator: "/", omittingEmptySubsequences: false)
    guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { return nil }
    self.init(prefix: String(parts[0]), name: String(parts[1]))
  }

  /// `prefix/name`.
  public var description: String { "\(prefix)/\(name)" }

  public static func < (lhs: ConnectorID, rhs: ConnectorID) -> Bool {
    (lhs.prefix, lhs.name) < (rhs.prefix, rhs.name)
  }

  /// `prefix/name` as a JSON string.
  public init(from decoder: any Decoder) throws {
    let text = try decoder.singleValueContainer().decode(String.self)
    guard let id = ConnectorID(parsing: text) else {
      throw DecodingError.dataCorrupted(
        .init(codingPath: decoder.codingPath, debugDescription: "is not prefix/name: \(text)"))
    }
    self = id
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    try container.encode(description)
  }
}

extension Address {
  /// The connector this address belongs to: its prefix and first segment.
  public var connectorID: ConnectorID { ConnectorID(prefix: prefix, name: connector) }

  /// The address of a resource of connector `id`, from the path a connector names it by
  /// (relative to the prefix); `nil` when the path is not inside the connector's folder, or
  /// has an empty, `.` or `..` segment.
  public init?(_ path: String, of id: ConnectorID) {
    let segments = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
    guard segments.count >= 2, segments[0] == id.name,
      !segments.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." })
    else { return nil }
    self.init(prefix: id.prefix, segments: segments)
  }
}
