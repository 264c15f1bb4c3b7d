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

  /// Longest first, so that a value containing another is hidden whole.
  private let forms = Mutex<[String]>([])
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
    let hex = bytes.map { String(format: "%02x", $0) }.joined()
    new.append(hex)
    new.append(hex.uppercased())
    new.append(SHA256Hex.of(bytes))
    let escaped = String(JSONValue.string(value).serialized.dropFirst().dropLast())
    if escaped != value { new.append(escaped) }
    forms.withLock { forms in
      guard forms.count < Self.maximumValues * 6, !forms.contains(value) else { return }
      forms.append(contentsOf: new)
      forms.sort { $0.utf8.count > $1.utf8.count }
      count.store(forms.count, ordering: .relaxed)
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
    let forms = self.forms.withLock { $0 }
    var text = text
    for form in forms where text.contains(form) {
      text = text.replacingOccurrences(of: form, with: Self.replacement)
    }
    return text
  }

  /// `data` as text with every registered value replaced; bytes that are not UTF-8 are kept.
  public func masked(_ data: Data) -> Data {
    guard !isEmpty, let text = String(data: data, encoding: .utf8) else { return data }
    let masked = masked(text)
    return masked == text ? data : Data(masked.utf8)
  }

  /// Whether `text` holds a registered value.
  public func reveals(_ text: String) -> Bool {
    guard !isEmpty else { return false }
    return forms.withLock { $0 }.contains { text.contains($0) }
  }
}
