extension JSONValue {
  /// Compact JSON text with keys sorted, as `JSONEncoder` with `.sortedKeys` and
  /// `.withoutEscapingSlashes` writes it, without going through `Codable`: events are written
  /// one per resource, and this keeps them cheap.
  public var serialized: String {
    var writer = JSONWriter()
    writer.value(self)
    return writer.text
  }

  /// Indented JSON with keys sorted (two spaces a level, `"key": value`), ending without a
  /// newline; `indent` is the level the value starts at.
  public func pretty(indent: Int = 0) -> String {
    var writer = JSONWriter()
    writer.pretty(self, indent: indent)
    return writer.text
  }
}
