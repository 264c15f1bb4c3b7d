import Foundation
import Synchronization

/// Values that must never be shown, and the one place that hides them: everything infra prints
/// or writes (results, diagnostics, logs, events, artifacts, saved plans) passes through
/// `masked` on its way out, as CI systems mask the secrets registered with them.
///
/// Masking is the safety net, not the design: sensitive content is kept out of plans, events and
/// artifacts where it is made. What is registered: values of `env:` entries taken `from:` the
/// environment, the values a connector registers or marks sensitive, and the content of
/// sensitive resource files (see `register(content:)`). Each value is hidden as itself, and as
/// its base64, hex and SHA-256 hex forms, and its JSON-escaped form.
public final class SecretMask: Sendable {
  /// The mask of this process, which the command line writes through.
  public static let shared = SecretMask()
  /// What a hidden value is shown as.
  public static let replacement = "***"
  /// Shorter values are not masked: hiding every `abc` would garble output, not protect it.
  public static let minimumLength = 4
  /// The most values kept (each with its forms); later ones are still kept out of outputs by
  /// construction, but not masked.
  public static let maximumValues = 10_000

  /// The forms to hide, indexed by their first bytes: masking looks at each byte of the text
  /// once, whatever the number of values.
  private let table = Mutex(FormTable())
  private let count = Atomic<Int>(0)

  /// An empty mask; the command line uses `shared`.
  public init() {}

  /// Whether nothing is registered: writing then costs nothing.
  public var isEmpty: Bool { count.load(ordering: .relaxed) == 0 }

  /// Hides `value` from now on; values shorter than `minimumLength` are ignored.
  public func register(_ value: String) {
    guard value.count >= Self.minimumLength else { return }
    var new = [value]
    let bytes = Data(value.utf8)
    new.append(bytes.base64EncodedString())
    let hex = bytes.hexString
    new.append(hex)
    new.append(hex.uppercased())
    new.append(SHA256Hex.of(bytes))
    let escaped = String(JSONValue.string(value).serialized.dropFirst().dropLast())
    if escaped != value { new.append(escaped) }
    table.withLock { table in
      guard table.values < Self.maximumValues, table.insert(value) else { return }
      for form in new.dropFirst() { _ = table.insert(form) }
      table.values += 1
      count.store(table.values, ordering: .relaxed)
    }
  }

  /// Hides what a sensitive file's content could leak by: the whole content when it is one line
  /// (a password, a token), and each line of 16 characters or more without spaces otherwise
  /// (key material, base64), up to 1,000 lines.
  public func register(content: Data) {
    guard let text = String(data: content.prefix(1 << 20), encoding: .utf8) else { return }
    let lines = text.split(whereSeparator: \.isNewline)
    if lines.count == 1 {
      register(String(lines[0]).trimmingCharacters(in: .whitespaces))
      return
    }
    for line in lines.prefix(1_000) {
      let trimmed = line.trimmingCharacters(in: .whitespaces)
      if trimmed.count >= 16, !trimmed.contains(where: \.isWhitespace) { register(trimmed) }
    }
  }

  /// `text` with every registered value replaced by `replacement`.
  public func masked(_ text: String) -> String {
    guard !isEmpty else { return text }
    guard let masked = table.withLock({ $0 }).masked(Array(text.utf8)) else { return text }
    return String(decoding: masked, as: UTF8.self)
  }

  /// `data` with every registered value replaced, bytes that are not UTF-8 kept as they are.
  public func masked(_ data: Data) -> Data {
    guard !isEmpty, let masked = table.withLock({ $0 }).masked(Array(data)) else { return data }
    return Data(masked)
  }

  /// Whether `text` holds a registered value.
  public func reveals(_ text: String) -> Bool {
    guard !isEmpty else { return false }
    return table.withLock { $0 }.masked(Array(text.utf8), stopAtFirst: true) != nil
  }
}

/// The forms a mask hides, by their first four bytes (every form has at least four), with a
/// bitmap of their first two for the common case of a byte that starts none.
private struct FormTable: Sendable {
  var byPrefix: [UInt32: [[UInt8]]] = [:]
  var firstPairs = [Bool](repeating: false, count: 1 << 16)
  var values = 0

  /// Adds `form`; false when it was there already.
  mutating func insert(_ form: String) -> Bool {
    let bytes = Array(form.utf8)
    guard bytes.count >= 4 else { return false }
    let key = Self.key(bytes, 0)
    guard byPrefix[key]?.contains(bytes) != true else { return false }
    // Longest first, so that a value containing another is hidden whole.
    byPrefix[key, default: []].append(bytes)
    byPrefix[key]!.sort { $0.count > $1.count }
    firstPairs[Int(bytes[0]) << 8 | Int(bytes[1])] = true
    return true
  }

  /// `bytes` with each form replaced, or `nil` when none is in them.
  func masked(_ bytes: [UInt8], stopAtFirst: Bool = false) -> [UInt8]? {
    bytes.withUnsafeBufferPointer { buffer in
      var result: [UInt8] = []
      var copied = 0
      var index = 0
      var found = false
      while index + 4 <= buffer.count {
        guard firstPairs[Int(buffer[index]) << 8 | Int(buffer[index + 1])],
          let candidates = byPrefix[Self.key(buffer, index)],
          let form = candidates.first(where: { Self.matches($0, buffer, at: index) })
        else {
          index += 1
          continue
        }
        found = true
        if stopAtFirst { return [] }
        result.append(contentsOf: buffer[copied..<index])
        result.append(contentsOf: SecretMask.replacement.utf8)
        index += form.count
        copied = index
      }
      guard found else { return nil }
      result.append(contentsOf: buffer[copied...])
      return result
    }
  }

  private static func key(_ bytes: some RandomAccessCollection<UInt8>, _ at: Int) -> UInt32 {
    let start = bytes.index(bytes.startIndex, offsetBy: at)
    var key: UInt32 = 0
    for offset in 0..<4 { key = key << 8 | UInt32(bytes[bytes.index(start, offsetBy: offset)]) }
    return key
  }

  private static func matches(_ form: [UInt8], _ buffer: UnsafeBufferPointer<UInt8>, at index: Int)
    -> Bool
  {
    guard form.count <= buffer.count - index else { return false }
    return form.withUnsafeBufferPointer { form in
      memcmp(form.baseAddress!, buffer.baseAddress! + index, form.count) == 0
    }
  }
}
