/// Writes JSON text into bytes: compact (keys sorted, as `JSONEncoder` with `.sortedKeys` and
/// `.withoutEscapingSlashes` writes it) or indented. Events and plan documents are written one
/// per resource, so this appends to one growing buffer instead of joining strings.
public struct JSONWriter: Sendable {
  /// The text written so far, as UTF-8.
  public private(set) var bytes: [UInt8] = []

  /// An empty writer with room for `capacity` bytes.
  public init(capacity: Int = 256) {
    bytes.reserveCapacity(capacity)
  }

  /// The text written so far.
  public var text: String { String(decoding: bytes, as: UTF8.self) }

  /// Appends `text` as it is: punctuation, or JSON that is already text.
  public mutating func raw(_ text: StaticString) {
    text.withUTF8Buffer { bytes.append(contentsOf: $0) }
  }

  /// Appends the bytes of `text` as they are.
  public mutating func raw(_ text: String) {
    var text = text
    text.withUTF8 { bytes.append(contentsOf: $0) }
  }

  /// Appends `value` in decimal.
  public mutating func int(_ value: Int) {
    if value >= 0 && value < 10 {
      bytes.append(0x30 + UInt8(value))
    } else {
      raw(String(value))
    }
  }

  /// Appends `value` compactly.
  public mutating func value(_ value: JSONValue) {
    switch value {
    case .null: raw("null")
    case .bool(let value): value ? raw("true") : raw("false")
    case .int(let value): int(value)
    case .double(let value): value.isFinite ? raw(String(value)) : raw("null")
    case .string(let value): string(value)
    case .array(let values):
      bytes.append(0x5B)
      for (index, element) in values.enumerated() {
        if index > 0 { bytes.append(0x2C) }
        self.value(element)
      }
      bytes.append(0x5D)
    case .object(let object):
      bytes.append(0x7B)
      for (index, key) in object.keys.sorted().enumerated() {
        if index > 0 { bytes.append(0x2C) }
        string(key)
        bytes.append(0x3A)
        self.value(object[key]!)
      }
      bytes.append(0x7D)
    }
  }

  /// Appends `value` indented (two spaces a level, `"key": value`), without a final newline;
  /// `indent` is the level the value starts at.
  public mutating func pretty(_ value: JSONValue, indent: Int = 0) {
    switch value {
    case .array(let values) where !values.isEmpty:
      raw("[\n")
      for (index, element) in values.enumerated() {
        spaces(indent + 1)
        pretty(element, indent: indent + 1)
        index + 1 < values.count ? raw(",\n") : raw("\n")
      }
      spaces(indent)
      raw("]")
    case .object(let object) where !object.isEmpty:
      raw("{\n")
      let keys = object.keys.sorted()
      for (index, key) in keys.enumerated() {
        spaces(indent + 1)
        string(key)
        raw(": ")
        pretty(object[key]!, indent: indent + 1)
        index + 1 < keys.count ? raw(",\n") : raw("\n")
      }
      spaces(indent)
      raw("}")
    default:
      self.value(value)
    }
  }

  private mutating func spaces(_ level: Int) {
    bytes.append(contentsOf: repeatElement(0x20, count: level * 2))
  }

  /// Appends a JSON string literal: quotes, backslashes and control characters escaped, runs
  /// that need no escaping copied whole.
  public mutating func string(_ value: String) {
    var value = value
    value.withUTF8 { utf8 in
      bytes.append(0x22)
      var run = 0
      for index in utf8.indices {
        let byte = utf8[index]
        guard byte < 0x20 || byte == 0x22 || byte == 0x5C else { continue }
        bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[run..<index]))
        escape(byte)
        run = index + 1
      }
      bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[run...]))
      bytes.append(0x22)
    }
  }

  private mutating func escape(_ byte: UInt8) {
    switch byte {
    case 0x22: raw("\\\"")
    case 0x5C: raw("\\\\")
    case 0x0A: raw("\\n")
    case 0x0D: raw("\\r")
    case 0x09: raw("\\t")
    case 0x08: raw("\\b")
    case 0x0C: raw("\\f")
    default:
      let hex: StaticString = "0123456789abcdef"
      raw("\\u00")
      bytes.append(hex.utf8Start[Int(byte >> 4)])
      bytes.append(hex.utf8Start[Int(byte & 0xF)])
    }
  }
}
