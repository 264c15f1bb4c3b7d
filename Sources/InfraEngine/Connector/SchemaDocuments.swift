import InfraCore

/// The JSON Schemas (draft 2020-12) of infra.yaml and `.infra-attrs.yaml`, from the same
/// declarations the loaders check, with the options each connector type declares.
package enum SchemaDocuments {
  package static let draft = "https://json-schema.org/draft/2020-12/schema"
  package static let base = "https://github.com/infra/infra/docs/schemas/"

  /// infra.yaml's schema, for `types` (the builtin ones) and the `external` connectors of a
  /// repository by their names (the options their programs declared).
  package static func config(
    types: [ConnectorTypeInfo], external: [(name: String, info: ConnectorTypeInfo)] = []
  ) -> JSONValue {
    let hostData = (types + external.map(\.info)).flatMap(\.hostData)
    var seen: Set<String> = []
    let hostKeys = hostData.filter { seen.insert($0.name).inserted }.map {
      SchemaKey($0.name, .raw($0.jsonSchema))
    }
    var top = ConfigSchema.topLevel(hostData: hostKeys)
    var conditions: [JSONValue] = types.map { info in
      // `type: T`, or no type and no program with `name: T`.
      let named: JSONValue = .object([
        "required": .array([.string("name")]),
        "properties": .object(["name": .object(["const": .string(info.type)])]),
        "not": .object([
          "anyOf": .array([
            .object(["required": .array([.string("type")])]),
            .object(["required": .array([.string("run")])]),
            .object(["required": .array([.string("package")])]),
          ])
        ]),
      ])
      let typed: JSONValue = .object([
        "required": .array([.string("type")]),
        "properties": .object(["type": .object(["const": .string(info.type)])]),
      ])
      return condition(.object(["anyOf": .array([typed, named])]), options: info)
    }
    conditions += external.map { name, info in
      condition(
        .object([
          "required": .array([.string("name")]),
          "properties": .object(["name": .object(["const": .string(name)])]),
          "anyOf": .array([
            .object(["required": .array([.string("run")])]),
            .object(["required": .array([.string("package")])]),
          ]),
        ]), options: info)
    }
    // The connector entry: a known type, and the options of its type.
    var connector = ConfigSchema.connector.mapping!
    if let index = connector.keys.firstIndex(where: { $0.name == "type" }) {
      connector.keys[index].node = .string(
        connector.keys[index].node.summary, values: types.map(\.type))
    }
    if !conditions.isEmpty { connector.extra["allOf"] = .array(conditions) }
    var prefix = ConfigSchema.prefix.mapping!
    prefix.keys = [
      SchemaKey("connectors", .list(.mapping(connector), prefix["connectors"]!.summary))
    ]
    if let index = top.keys.firstIndex(where: { $0.name == "prefixes" }),
      var prefixes = top.keys[index].node.mapping
    {
      prefixes.others = .mapping(prefix)
      top.keys[index].node = .mapping(prefixes)
    }
    return document(
      SchemaNode.mapping(top).jsonSchema, id: "infra.schema.json",
      title: "infra.yaml (version \(InfraConfig.supportedVersion))")
  }

  /// `.infra-attrs.yaml`'s schema, from the files connector's declaration of it.
  package static func attributes(_ mapping: SchemaMapping) -> JSONValue {
    document(
      SchemaNode.mapping(mapping).jsonSchema, id: "infra-attrs.schema.json",
      title: ".infra-attrs.yaml")
  }

  private static func document(_ schema: JSONValue, id: String, title: String) -> JSONValue {
    var object = schema.objectValue ?? [:]
    object["$schema"] = .string(draft)
    object["$id"] = .string(base + id)
    object["title"] = .string(title)
    return .object(object)
  }

  private static func condition(_ test: JSONValue, options info: ConnectorTypeInfo) -> JSONValue {
    let options = JSONValue.object([
      "description": .string("the options of connector type \(info.type)"),
      "type": .string("object"),
      "properties": .object(
        Dictionary(uniqueKeysWithValues: info.options.map { ($0.name, $0.jsonSchema) })),
      "additionalProperties": .bool(false),
    ])
    return .object([
      "if": test, "then": .object(["properties": .object(["options": options])]),
    ])
  }
}

extension OptionSpec {
  /// The option as a JSON Schema: its type, summary and default.
  package var jsonSchema: JSONValue {
    let types: [ValueType: String] = [
      .string: "string", .integer: "integer", .boolean: "boolean", .list: "array",
      .mapping: "object",
    ]
    var schema: [String: JSONValue] = [
      "description": .string(summary), "type": .string(types[type] ?? "string"),
    ]
    if let defaultValue { schema["default"] = defaultValue }
    return .object(schema)
  }
}
