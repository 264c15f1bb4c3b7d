import Crypto
import Foundation

/// A saved plan carries the SHA-256 of its own bytes, in a first line of its own:
///
///     {
///       "digest" : "sha256:…",
///       "created_at" : …
///
/// The digest covers the file exactly as `infra plan --out` wrote it, with that line and the
/// final newline left out, so any change to it (a hand edit of a path, a damaged download, a
/// file rewritten by a formatter) is found before anything of the plan is used. It is a check of integrity, not a
/// signature: it does not say who made the plan.
extension SavedPlan {
  /// The file's bytes with the digest line put in after the opening brace.
  package static func sealed(_ body: Data) -> Data {
    let digest = SHA256.hash(data: body).hexString
    return Data("{\n  \"digest\" : \"sha256:\(digest)\",".utf8) + body.dropFirst() + Data("\n".utf8)
  }

  /// Whether `data` is a file `sealed` made, unchanged since.
  static func isIntact(_ data: Data) -> Bool {
    let head = Data("{\n  \"digest\" : \"sha256:".utf8)
    let digestLength = 64
    let tail = Data("\",".utf8)
    guard data.count > head.count + digestLength + tail.count + 1, data.starts(with: head),
      data.last == UInt8(ascii: "\n")
    else { return false }
    let digestStart = data.startIndex + head.count
    let digest = data[digestStart..<digestStart + digestLength]
    let rest = data[(digestStart + digestLength)...]
    guard rest.starts(with: tail) else { return false }
    let body = Data("{".utf8) + rest.dropFirst(tail.count).dropLast()
    return String(decoding: digest, as: UTF8.self) == SHA256.hash(data: body).hexString
  }
}
