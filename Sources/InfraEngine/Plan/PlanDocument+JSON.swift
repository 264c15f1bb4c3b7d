import InfraCore

// Explicit JSON for each entry, in the same shape the Codable conformances read back.

extension Dictionary where Key == String, Value == JSONValue {
  fileprivate mutating func set(_ key: String, _ value: String?) {
    if let value { self[key] = .string(value) }
  }

  fileprivate mutating func set(_ key: String, _ value: Int?) {
    if let value { self[key] = .int(value) }
  }
}

extension PlanDocument.ChangeEntry {
  var json: JSONValue {
    var object: [String: JSONValue] = [
      "prefix": .string(prefix), "connector": .string(connector), "address": .string(address),
      "host": .string(host), "action": .string(action.rawValue), "message": .string(message),
      "details": .array(details.map(JSONValue.string)),
      "sources": .array(sources.map(JSONValue.string)),
      "notes": .array(notes.map(JSONValue.string)), "live_fingerprint": .string(liveFingerprint),
      "payload": payload,
    ]
    object.set("diff", diff)
    if sensitive == true { object["sensitive"] = .bool(true) }
    if runsLast == true { object["runs_last"] = .bool(true) }
    return .object(object)
  }
}

extension PlanDocument.ResourceEntry {
  var json: JSONValue {
    .object([
      "prefix": .string(prefix), "connector": .string(connector), "address": .string(address),
      "host": .string(host),
    ])
  }

  /// `json`, indented as an entry of the document's `unchanged` array, written key by key.
  func write(into writer: inout JSONWriter) {
    writer.raw("{\n      \"address\": ")
    writer.string(address)
    writer.raw(",\n      \"connector\": ")
    writer.string(connector)
    writer.raw(",\n      \"host\": ")
    writer.string(host)
    writer.raw(",\n      \"prefix\": ")
    writer.string(prefix)
    writer.raw("\n    }")
  }
}

extension PlanDocument.FailureEntry {
  var json: JSONValue {
    var object: [String: JSONValue] = [
      "kind": .string(kind.rawValue), "host": .string(host), "message": .string(message),
      "resources": .int(resources),
    ]
    object.set("prefix", prefix)
    object.set("connector", connector)
    object.set("address", address)
    return .object(object)
  }
}

extension PlanDocument.DiagnosticEntry {
  /// The entry of `diagnostic`, located as it is.
  package init(_ diagnostic: Diagnostic) {
    self.init(
      severity: diagnostic.severity, message: diagnostic.message,
      file: diagnostic.location?.file, line: diagnostic.location?.line,
      column: diagnostic.location?.column, hint: diagnostic.hint)
  }

  /// The entry as plan documents and `infra validate --json` write it.
  package var json: JSONValue {
    var object: [String: JSONValue] = [
      "severity": .string(severity.rawValue), "message": .string(message),
    ]
    object.set("file", file)
    object.set("line", line)
    object.set("column", column)
    object.set("hint", hint)
    return .object(object)
  }
}

extension Plan.Summary {
  /// The counts as plan documents and `infra runs --json` write them.
  package var json: JSONValue {
    .object([
      "create": .int(create), "update": .int(update), "delete": .int(delete),
      "unchanged": .int(unchanged), "failed": .int(failed),
    ])
  }
}
