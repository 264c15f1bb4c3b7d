import Crypto
import Foundation

extension Sequence<UInt8> {
  /// Lower-case hex, as `sha256sum` prints a digest.
  public var hexString: String {
    let digits = Array("0123456789abcdef".utf8)
    var bytes: [UInt8] = []
    bytes.reserveCapacity(underestimatedCount * 2)
    for byte in self {
      bytes.append(digits[Int(byte >> 4)])
      bytes.append(digits[Int(byte & 0x0F)])
    }
    return String(decoding: bytes, as: UTF8.self)
  }
}

/// SHA-256 in lower-case hex, as `sha256sum` prints it.
public enum SHA256Hex {
  /// The digest of `data`.
  public static func of(_ data: Data) -> String {
    SHA256.hash(data: data).hexString
  }
}
