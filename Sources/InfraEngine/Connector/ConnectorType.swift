import InfraCore

/// A kind of connector that `infra.yaml` can enable (`type: files`), and the factory for it.
package protocol ConnectorType: Sendable {
  var info: ConnectorTypeInfo { get }

  /// Creates the connector for one `infra.yaml` entry. Options are already checked against
  /// `info.options` and defaulted; throw a located `Diagnostic` for a value that is still wrong.
  func make(_ context: ConnectorContext) throws -> any Connector
}

/// What a connector type is and what it takes, shown by `infra connectors`.
package struct ConnectorTypeInfo: Sendable {
  package var type: String
  package var summary: String
  /// How resource files are laid out below the connector's folder.
  package var layout: String
  package var options: [OptionSpec]
  /// The per-host `data:` keys it reads.
  package var hostData: [OptionSpec]

  package init(
    type: String, summary: String, layout: String, options: [OptionSpec] = [],
    hostData: [OptionSpec] = []
  ) {
    self.type = type
    self.summary = summary
    self.layout = layout
    self.options = options
    self.hostData = hostData
  }
}

/// One declared setting: name, type, default and a one-line description.
package struct OptionSpec: Sendable {
  package enum ValueType: String, Sendable {
    case string, integer, boolean, list, mapping

    func accepts(_ value: JSONValue) -> Bool {
      switch (self, value) {
      case (.string, .string), (.integer, .int), (.boolean, .bool), (.list, .array),
        (.mapping, .object):
        true
      default: false
      }
    }

    var described: String {
      switch self {
      case .string: "a string"
      case .integer: "an integer"
      case .boolean: "true or false"
      case .list: "a list"
      case .mapping: "a mapping"
      }
    }
  }

  package var name: String
  package var type: ValueType
  package var defaultValue: JSONValue?
  package var summary: String

  package init(
    _ name: String, _ type: ValueType, default defaultValue: JSONValue? = nil, _ summary: String
  ) {
    self.name = name
    self.type = type
    self.defaultValue = defaultValue
    self.summary = summary
  }
}

/// What a connector is made from: its entry in `infra.yaml` and the hosts it serves.
package struct ConnectorContext: Sendable {
  package var prefix: String
  package var config: ConnectorConfig
  /// Declared options with defaults filled in, each with where it was set (or the entry).
  package var options: [String: Located<JSONValue>]
  /// The hosts this connector serves, in inventory order.
  package var hosts: [InventoryHost]
  package var inventory: Inventory
  package var repository: Repository
  /// Decrypts the connector's `.age` files, with infra.yaml's `secrets:`.
  package var cipher: AgeCipher

  package init(
    prefix: String, config: ConnectorConfig, options: [String: Located<JSONValue>],
    hosts: [InventoryHost], inventory: Inventory, repository: Repository,
    secrets: SecretsSettings = SecretsSettings()
  ) {
    self.prefix = prefix
    self.config = config
    self.options = options
    self.hosts = hosts
    self.inventory = inventory
    self.repository = repository
    cipher = AgeCipher(settings: secrets, repository: repository)
  }

  package var name: String { config.name.value }
}

/// The connector types a build of `infra` knows, by type name.
package struct ConnectorRegistry: Sendable {
  package private(set) var types: [String: any ConnectorType] = [:]
  /// Starts the programs of external connectors (`run:`); `nil` in a build without them.
  package var external: (any ExternalConnectorLauncher)?

  package init(_ types: [any ConnectorType] = [], external: (any ExternalConnectorLauncher)? = nil)
  {
    for type in types { register(type) }
    self.external = external
  }

  package mutating func register(_ type: any ConnectorType) {
    types[type.info.type] = type
  }

  package subscript(type: String) -> (any ConnectorType)? {
    types[type]
  }

  package var typeNames: [String] { types.keys.sorted() }
}

/// Starts an external connector's program and asks what it offers. The engine knows no
/// concrete connector, so the bridge that speaks the connector protocol is handed in.
package protocol ExternalConnectorLauncher: Sendable {
  /// Starts the program of `context.config`; `context.options` are the options as written.
  /// Returns what the program declared (its options above all) and the connector.
  func launch(_ context: ConnectorContext, program: ExternalProgram) async throws -> (
    ConnectorTypeInfo, any Connector
  )

  /// Runs an inventory program and returns the hosts it yields as the text of a YAML (or
  /// JSON) mapping, host name to settings, read like `hosts:` of infra.yaml. With `names`,
  /// the program is asked for those hosts only (it may yield fewer, or more).
  func inventory(_ program: ExternalProgram, repository: Repository, names: [String]?)
    async throws -> String
}
