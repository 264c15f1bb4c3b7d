extension JSONValue {
  /// Compact JSON text with keys sorted, as `JSONEncoder` with `.sortedKeys` and
  /// `.withoutEscapingSlashes` writes it, without going through `Codable`: events are written
  /// one per resource, and this keeps them cheap.
  public var serialized: String {
    var text = ""
    write(to: &text)
    return text
  }

  private func write(to text: inout String) {
    switch self {
    case .null: text += "null"
    case .bool(let value): text += value ? "true" : "false"
    case .int(let value): text += String(value)
    case .double(let value): text += value.isFinite ? String(value) : "null"
    case .string(let value): JSONValue.writeString(value, to: &text)
    case .array(let values):
      text += "["
      for (index, value) in values.enumerated() {
        if index > 0 { text += "," }
        value.write(to: &text)
      }
      text += "]"
    case .object(let object):
      text += "{"
      for (index, key) in object.keys.sorted().enumerated() {
        if index > 0 { text += "," }
        JSONValue.writeString(key, to: &text)
        text += ":"
        object[key]!.write(to: &text)
      }
      text += "}"
    }
  }

  /// Indented JSON with keys sorted (two spaces a level, `"key": value`), ending without a
  /// newline; `indent` is the level the value starts at.
  public func pretty(indent: Int = 0) -> String {
    var text = ""
    writePretty(to: &text, indent: indent)
    return text
  }

  private func writePretty(to text: inout String, indent: Int) {
    let inner = String(repeating: "  ", count: indent + 1)
    let outer = String(repeating: "  ", count: indent)
    switch self {
    case .array(let values) where !values.isEmpty:
      text += "[\n"
      for (index, value) in values.enumerated() {
        text += inner
        value.writePretty(to: &text, indent: indent + 1)
        text += index + 1 < values.count ? ",\n" : "\n"
      }
      text += outer + "]"
    case .object(let object) where !object.isEmpty:
      text += "{\n"
      let keys = object.keys.sorted()
      for (index, key) in keys.enumerated() {
        text += inner
        JSONValue.writeString(key, to: &text)
        text += ": "
        object[key]!.writePretty(to: &text, indent: indent + 1)
        text += index + 1 < keys.count ? ",\n" : "\n"
      }
      text += outer + "}"
    default:
      write(to: &text)
    }
  }

  /// A JSON string literal: quotes, backslashes and control characters escaped. Works on the
  /// UTF-8 bytes and copies runs that need no escaping whole.
  static func writeString(_ value: String, to text: inout String) {
    let utf8 = value.utf8
    if utf8.allSatisfy({ $0 >= 0x20 && $0 != 0x22 && $0 != 0x5C }) {
      text += "\"" + value + "\""
      return
    }
    var bytes: [UInt8] = [0x22]
    bytes.reserveCapacity(utf8.count + 16)
    var run = utf8.startIndex
    var index = utf8.startIndex
    while index < utf8.endIndex {
      let byte = utf8[index]
      if byte >= 0x20 && byte != 0x22 && byte != 0x5C {
        index = utf8.index(after: index)
        continue
      }
      bytes.append(contentsOf: utf8[run..<index])
      switch byte {
      case 0x22: bytes.append(contentsOf: [0x5C, 0x22])
      case 0x5C: bytes.append(contentsOf: [0x5C, 0x5C])
      case 0x0A: bytes.append(contentsOf: [0x5C, 0x6E])
      case 0x0D: bytes.append(contentsOf: [0x5C, 0x72])
      case 0x09: bytes.append(contentsOf: [0x5C, 0x74])
      case 0x08: bytes.append(contentsOf: [0x5C, 0x62])
      case 0x0C: bytes.append(contentsOf: [0x5C, 0x66])
      default:
        let hex = Array("0123456789abcdef".utf8)
        bytes.append(contentsOf: [
          0x5C, 0x75, 0x30, 0x30, hex[Int(byte >> 4)], hex[Int(byte & 0xF)],
        ])
      }
      index = utf8.index(after: index)
      run = index
    }
    bytes.append(contentsOf: utf8[run..<utf8.endIndex])
    bytes.append(0x22)
    text += String(decoding: bytes, as: UTF8.self)
  }
}
