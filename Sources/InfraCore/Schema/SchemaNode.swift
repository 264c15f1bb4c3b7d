/// What one value of a configuration file may be, declared once: the loaders take the keys
/// they accept from these declarations, `infra schema` writes them as JSON Schema (draft
/// 2020-12) for editors, and their summaries are what people read about each key.
package indirect enum SchemaNode: Sendable {
  case string(String, pattern: String? = nil, values: [String]? = nil)
  case integer(String, minimum: Int? = nil, maximum: Int? = nil)
  case boolean(String)
  case list(SchemaNode, String, minimumItems: Int? = nil)
  case mapping(SchemaMapping)
  /// Any one of these (a string or a `{from:}` mapping, say).
  case oneOf([SchemaNode], String)
  /// Anything at all (free-form data).
  case anything(String)
  /// JSON Schema written as it is, for what the cases above cannot say.
  case raw(JSONValue)

  /// What the value is for, in one line.
  package var summary: String {
    switch self {
    case .string(let summary, _, _), .integer(let summary, _, _), .boolean(let summary),
      .list(_, let summary, _), .oneOf(_, let summary), .anything(let summary):
      summary
    case .mapping(let mapping): mapping.summary
    case .raw(let json): json.objectValue?["description"]?.stringValue ?? ""
    }
  }

  /// The mapping's declaration, for a node that is one.
  package var mapping: SchemaMapping? {
    if case .mapping(let mapping) = self { mapping } else { nil }
  }
}

/// A mapping's keys, in the order people write them, and what other keys it takes.
package struct SchemaMapping: Sendable {
  package var summary: String
  package var keys: [SchemaKey]
  package var required: [String]
  /// The value of every other key (a mapping of names to settings), or `nil` when it takes
  /// no other keys.
  package var others: SchemaNode?
  /// What the other keys' names must match (a JSON Schema `propertyNames` pattern).
  package var otherNames: String?
  /// Further JSON Schema keywords (`allOf` of conditions, say), written as they are.
  package var extra: [String: JSONValue]

  package init(
    _ summary: String, keys: [SchemaKey], required: [String] = [], others: SchemaNode? = nil,
    otherNames: String? = nil, extra: [String: JSONValue] = [:]
  ) {
    self.summary = summary
    self.keys = keys
    self.required = required
    self.others = others
    self.otherNames = otherNames
    self.extra = extra
  }

  /// The names of the declared keys, as the loader checks them.
  package var keyNames: [String] { keys.map(\.name) }

  package subscript(key: String) -> SchemaNode? {
    keys.first { $0.name == key }?.node
  }
}

/// One key of a mapping and the value it takes.
package struct SchemaKey: Sendable {
  package var name: String
  package var node: SchemaNode

  package init(_ name: String, _ node: SchemaNode) {
    self.name = name
    self.node = node
  }
}

extension SchemaNode {
  /// The node as a JSON Schema object.
  package var jsonSchema: JSONValue {
    var schema: [String: JSONValue] = [:]
    let summary = self.summary
    if !summary.isEmpty { schema["description"] = .string(summary) }
    switch self {
    case .string(_, let pattern, let values):
      schema["type"] = .string("string")
      if let pattern { schema["pattern"] = .string(pattern) }
      if let values { schema["enum"] = .array(values.map(JSONValue.string)) }
    case .integer(_, let minimum, let maximum):
      schema["type"] = .string("integer")
      if let minimum { schema["minimum"] = .int(minimum) }
      if let maximum { schema["maximum"] = .int(maximum) }
    case .boolean:
      schema["type"] = .string("boolean")
    case .list(let item, _, let minimumItems):
      schema["type"] = .string("array")
      schema["items"] = item.jsonSchema
      if let minimumItems { schema["minItems"] = .int(minimumItems) }
    case .mapping(let mapping):
      schema["type"] = .string("object")
      if !mapping.keys.isEmpty {
        schema["properties"] = .object(
          Dictionary(uniqueKeysWithValues: mapping.keys.map { ($0.name, $0.node.jsonSchema) }))
      }
      if !mapping.required.isEmpty {
        schema["required"] = .array(mapping.required.map(JSONValue.string))
      }
      schema["additionalProperties"] = mapping.others?.jsonSchema ?? .bool(false)
      if let pattern = mapping.otherNames {
        schema["propertyNames"] = .object(["pattern": .string(pattern)])
      }
      schema.merge(mapping.extra) { _, new in new }
    case .oneOf(let choices, _):
      schema["oneOf"] = .array(choices.map(\.jsonSchema))
    case .anything:
      break
    case .raw(let json):
      return json
    }
    return .object(schema)
  }
}
