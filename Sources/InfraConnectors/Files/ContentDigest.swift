import Crypto
import Foundation

/// What planning needs to know of a content file (its hash, size, whether it is text and how
/// many lines it has), read a chunk at a time: a repository of large files is planned in
/// memory that does not grow with their size.
struct ContentDigest: Equatable {
  /// The digest itself, written out as hex when asked: a repository's digests are all held at
  /// once while it loads, and 32 bytes in place cost no allocation.
  var digest: SHA256Bytes
  var sha256: String { digest.hexString }
  var size: Int
  /// UTF-8 without NUL bytes, as `textContent` has it.
  var isText: Bool
  /// Lines of text, the last one counted also without a newline; 0 for binary content.
  var lines: Int

  /// Read a chunk at a time into one buffer: most resource files fit in one read.
  static let chunkSize = 1 << 16

  /// Reads the file at `path`, giving `keep` the whole content as well when it is at most
  /// `limit` bytes (for the content cache).
  static func read(_ path: String, keepingUpTo limit: Int, keep: (Data) -> Void) throws
    -> ContentDigest
  {
    let descriptor = open(path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { throw CocoaError.error(errno: errno, path: path) }
    defer { close(descriptor) }
    var hasher = SHA256()
    var size = 0
    var text = TextScan()
    var kept: Data? = Data()
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 16)
    defer { buffer.deallocate() }
    while true {
      let count = Foundation.read(descriptor, buffer.baseAddress, chunkSize)
      if count < 0, errno == EINTR { continue }
      guard count >= 0 else { throw CocoaError.error(errno: errno, path: path) }
      guard count > 0 else { break }
      let chunk = UnsafeRawBufferPointer(rebasing: buffer[..<count])
      hasher.update(bufferPointer: chunk)
      size += count
      text.add(chunk)
      if kept != nil, size <= limit { kept?.append(contentsOf: chunk) } else { kept = nil }
    }
    if let kept { keep(kept) }
    let isText = text.finish()
    return ContentDigest(
      digest: SHA256Bytes(hasher.finalize()), size: size, isText: isText,
      lines: isText ? text.lines : 0)
  }
}

/// A SHA-256 digest's 32 bytes, held in place.
struct SHA256Bytes: Hashable, Sendable {
  private var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

  init(_ digest: SHA256.Digest) {
    withUnsafeMutableBytes(of: &words) { words in
      digest.withUnsafeBytes { words.copyMemory(from: $0) }
    }
  }

  /// Lower-case hex, as `sha256sum` prints it.
  var hexString: String {
    withUnsafeBytes(of: words) { $0.withMemoryRebound(to: UInt8.self) { $0.hexString } }
  }

  static func == (lhs: SHA256Bytes, rhs: SHA256Bytes) -> Bool {
    lhs.words == rhs.words
  }

  func hash(into hasher: inout Hasher) {
    withUnsafeBytes(of: words) { hasher.combine(bytes: $0) }
  }
}

extension CocoaError {
  /// The error Foundation's file reading gives for `code`, with the file's URL.
  static func error(errno code: Int32, path: String) -> CocoaError {
    let reason: CocoaError.Code =
      switch code {
      case ENOENT: .fileReadNoSuchFile
      case EACCES, EPERM: .fileReadNoPermission
      default: .fileReadUnknown
      }
    return CocoaError(
      reason,
      userInfo: [
        NSURLErrorKey: URL(fileURLWithPath: path),
        NSUnderlyingErrorKey: NSError(domain: NSPOSIXErrorDomain, code: Int(code)),
      ])
  }
}

extension ContentDigest {
  /// The digest of content held in memory (a decrypted `.age` file).
  static func of(_ data: Data) -> ContentDigest {
    var text = TextScan()
    text.add(data)
    let isText = text.finish()
    return ContentDigest(
      digest: SHA256Bytes(SHA256.hash(data: data)), size: data.count, isText: isText,
      lines: isText ? text.lines : 0)
  }
}

/// Whether bytes that arrive in chunks are text (valid UTF-8, no NUL), and their lines.
struct TextScan {
  private(set) var isText = true
  private(set) var lines = 0
  /// The start of a character that the last chunk cut.
  private var carry: [UInt8] = []
  private var last: UInt8?

  mutating func add(_ chunk: Data) {
    chunk.withUnsafeBytes { add(UnsafeRawBufferPointer($0)) }
  }

  mutating func add(_ chunk: UnsafeRawBufferPointer) {
    guard isText, !chunk.isEmpty else { return }
    guard !carry.isEmpty else { return scan(chunk) }
    let bytes = carry + Array(chunk)
    carry = []
    bytes.withUnsafeBytes { scan($0) }
  }

  /// Byte loops through `memchr`: they run at the C library's speed in a debug build too.
  private mutating func scan(_ buffer: UnsafeRawBufferPointer) {
    guard let base = buffer.baseAddress, memchr(base, 0, buffer.count) == nil else {
      isText = false
      return
    }
    // A character cut at the end waits for the next chunk.
    var end = buffer.count
    var back = 0
    while back < 3, end - back > 0, buffer[end - back - 1] & 0xC0 == 0x80 { back += 1 }
    if end - back > 0 {
      let lead = buffer[end - back - 1]
      let length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1
      if length > back + 1 {
        end -= back + 1
        carry = Array(buffer[end...])
      }
    }
    let whole = UnsafeRawBufferPointer(rebasing: buffer[..<end])
    guard String(validating: whole, as: UTF8.self) != nil else {
      isText = false
      return
    }
    var offset = 0
    while offset < end, let found = memchr(base + offset, 0x0A, end - offset) {
      lines += 1
      offset = base.distance(to: UnsafeRawPointer(found)) + 1
    }
    if end > 0 { last = buffer[end - 1] }
  }

  /// Whether all of it was text; `lines` then counts a last line without a newline too.
  mutating func finish() -> Bool {
    if !carry.isEmpty { isText = false }
    if isText, let last, last != UInt8(ascii: "\n") { lines += 1 }
    return isText
  }
}
