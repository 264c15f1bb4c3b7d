import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// The entries of a folder as the system has them, as bytes: Foundation's listing turns a name
/// that is not UTF-8 into one that names no file, which then reads as "not a file".
package struct DirectoryListing {
  /// The names that are UTF-8 text, `.` and `..` left out.
  package var names: [String] = []
  /// The names that are not, as their bytes.
  package var undecodable: [[UInt8]] = []

  /// Lists `folder`; one that cannot be read lists as empty.
  package init(_ folder: URL) {
    guard let stream = opendir(folder.path) else { return }
    defer { closedir(stream) }
    while let entry = readdir(stream) {
      let bytes = withUnsafeBytes(of: entry.pointee.d_name) { raw in
        Array(raw.prefix { $0 != 0 })
      }
      if bytes == [0x2E] || bytes == [0x2E, 0x2E] { continue }
      if let name = String(validating: bytes, as: UTF8.self) {
        names.append(name)
      } else {
        undecodable.append(bytes)
      }
    }
  }

  /// `bytes` with printable ASCII as it is and every other byte as `\xNN`.
  package static func escaped(_ bytes: [UInt8]) -> String {
    bytes.map { byte in
      (0x20..<0x7F).contains(byte) && byte != 0x5C
        ? String(UnicodeScalar(byte)) : String(format: "\\x%02X", byte)
    }.joined()
  }
}
