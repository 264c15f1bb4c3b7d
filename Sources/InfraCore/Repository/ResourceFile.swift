import Foundation

/// A file under `resources/<prefix>/<connector>/` that its connector will decode.
public struct ResourceFile: Hashable, Sendable, Comparable {
  public var address: Address
  /// The file to read: the path itself, or what a symbolic link inside the repository points at.
  public var url: URL

  public init(address: Address, url: URL) {
    self.address = address
    self.url = url
  }

  /// The path users see, relative to the repository root.
  public var path: String { address.repositoryPath }

  public var location: SourceLocation { SourceLocation(file: path) }

  public static func < (lhs: ResourceFile, rhs: ResourceFile) -> Bool {
    lhs.address < rhs.address
  }
}
