import Foundation

/// A file under `resources/<prefix>/<connector>/` that its connector will decode.
package struct ResourceFile: Hashable, Sendable, Comparable {
  package let address: Address
  /// The file to read, as a path on this machine: the path itself, or what a symbolic link
  /// inside the repository points at. A path, not a URL: a repository's walk makes one per
  /// file, and a URL costs several times its text.
  package let filePath: String
  /// The path users see, relative to the repository root: made once, as loaders name a file
  /// several times.
  package let path: String

  package init(address: Address, filePath: String) {
    self.address = address
    self.filePath = filePath
    path = address.repositoryPath
  }

  package init(address: Address, url: URL) {
    self.init(address: address, filePath: url.path)
  }

  /// The file to read, as a URL.
  package var url: URL { URL(fileURLWithPath: filePath, isDirectory: false) }

  package var location: SourceLocation { SourceLocation(file: path) }

  package static func < (lhs: ResourceFile, rhs: ResourceFile) -> Bool {
    lhs.address < rhs.address
  }
}
