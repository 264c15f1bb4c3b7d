import Crypto
import Foundation

extension Sequence<UInt8> {
  /// Lower-case hex, as `sha256sum` prints a digest.
  public var hexString: String {
    withContiguousStorageIfAvailable(hexDigits) ?? Array(self).withUnsafeBufferPointer(hexDigits)
  }
}

extension Digest {
  /// Lower-case hex, as `sha256sum` prints it, straight from the digest's bytes.
  public var hexString: String {
    withUnsafeBytes { $0.withMemoryRebound(to: UInt8.self, hexDigits) }
  }
}

private func hexDigits(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
  let digits: StaticString = "0123456789abcdef"
  return String(unsafeUninitializedCapacity: bytes.count * 2) { text in
    for (index, byte) in bytes.enumerated() {
      text[2 * index] = digits.utf8Start[Int(byte >> 4)]
      text[2 * index + 1] = digits.utf8Start[Int(byte & 0x0F)]
    }
    return bytes.count * 2
  }
}

/// SHA-256 in lower-case hex, as `sha256sum` prints it.
public enum SHA256Hex {
  /// The digest of `data`.
  public static func of(_ data: Data) -> String {
    SHA256.hash(data: data).hexString
  }
}
