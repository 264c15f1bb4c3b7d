import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// The entries of a folder as the system has them, as bytes: Foundation's listing turns a name
/// that is not UTF-8 into one that names no file, which then reads as "not a file".
package struct DirectoryListing {
  /// The names that are UTF-8 text, `.` and `..` left out.
  package var names: [String] = []
  /// For each of `names`, whether the folder says it is a regular file (`DT_REG`): such an
  /// entry needs no `lstat`. False when the file system does not say.
  package var regular: [Bool] = []
  /// The names that are not, as their bytes.
  package var undecodable: [[UInt8]] = []
  /// Why the folder could not be read, or not to its end (the system's words); `nil` when
  /// it was.
  package var failure: String?

  /// Lists `folder`.
  package init(_ folder: URL) {
    guard let stream = opendir(folder.path) else {
      failure = String(cString: strerror(errno))
      return
    }
    defer { closedir(stream) }
    while true {
      errno = 0
      guard let entry = readdir(stream) else {
        if errno != 0 { failure = String(cString: strerror(errno)) }
        break
      }
      let bytes = withUnsafeBytes(of: entry.pointee.d_name) { raw in
        Array(raw.prefix { $0 != 0 })
      }
      if bytes == [0x2E] || bytes == [0x2E, 0x2E] { continue }
      if let name = String(validating: bytes, as: UTF8.self) {
        names.append(name)
        regular.append(entry.pointee.d_type == UInt8(DT_REG))
      } else {
        undecodable.append(bytes)
      }
    }
  }

  /// `bytes` as text, with each byte that is not part of valid UTF-8 as `\xNN`.
  package static func escaped(_ bytes: [UInt8]) -> String {
    var text = ""
    var iterator = bytes.makeIterator()
    var parser = Unicode.UTF8.ForwardParser()
    var offset = 0
    while true {
      switch parser.parseScalar(from: &iterator) {
      case .valid(let encoded):
        text.unicodeScalars.append(Unicode.UTF8.decode(encoded))
        offset += encoded.count
      case .error(let length):
        for byte in bytes[offset..<offset + length] { text += String(format: "\\x%02X", byte) }
        offset += length
      case .emptyInput:
        return text
      }
    }
  }
}
