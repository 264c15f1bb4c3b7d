import Foundation

/// A file under `resources/<prefix>/<connector>/` that its connector will decode.
package struct ResourceFile: Hashable, Sendable, Comparable {
  package let address: Address
  /// The path users see, relative to the repository root: made once, as loaders name a file
  /// several times.
  package let path: String
  /// The repository's root (one string that all its files share), or the whole file path when
  /// the file is not at `path` below it (a link's target).
  private let base: String
  private let baseIsWhole: Bool

  /// The file to read, as a path on this machine: the path itself, or what a symbolic link
  /// inside the repository points at. Made when asked: a repository's walk makes a file per
  /// resource, and keeping every full path was a tenth of a 10,000-file plan's heap.
  package var filePath: String { baseIsWhole ? base : base + "/" + path }

  package init(address: Address, filePath: String) {
    self.address = address
    path = address.repositoryPath
    (base, baseIsWhole) = (filePath, true)
  }

  /// A file found at `filePath`, which is usually `root/path`: then only `root` is kept.
  package init(address: Address, filePath: String, root: String) {
    self.address = address
    path = address.repositoryPath
    let below = filePath.utf8.elementsEqual([root.utf8, "/".utf8, path.utf8].joined())
    (base, baseIsWhole) = below ? (root, false) : (filePath, true)
  }

  package init(address: Address, url: URL) {
    self.init(address: address, filePath: url.path)
  }

  package static func == (lhs: ResourceFile, rhs: ResourceFile) -> Bool {
    lhs.address == rhs.address && lhs.filePath == rhs.filePath
  }

  package func hash(into hasher: inout Hasher) {
    hasher.combine(address)
  }

  /// The file to read, as a URL.
  package var url: URL { URL(fileURLWithPath: filePath, isDirectory: false) }

  package var location: SourceLocation { SourceLocation(file: path) }

  package static func < (lhs: ResourceFile, rhs: ResourceFile) -> Bool {
    lhs.address < rhs.address
  }
}
