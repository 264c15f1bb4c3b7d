import Foundation

/// A file under `resources/<prefix>/<connector>/` that its connector will decode.
package struct ResourceFile: Hashable, Sendable, Comparable {
  package let address: Address
  /// The file to read: the path itself, or what a symbolic link inside the repository points at.
  package let url: URL
  /// The path users see, relative to the repository root: made once, as loaders name a file
  /// several times.
  package let path: String

  package init(address: Address, url: URL) {
    self.address = address
    self.url = url
    path = address.repositoryPath
  }

  package var location: SourceLocation { SourceLocation(file: path) }

  package static func < (lhs: ResourceFile, rhs: ResourceFile) -> Bool {
    lhs.address < rhs.address
  }
}
