import InfraEngine

extension ConnectorRegistry {
  /// Every connector type built into `infra`, and external connector programs.
  package static var builtin: ConnectorRegistry {
    ConnectorRegistry(
      [
        FilesConnectorType(), PackagesConnectorType(), GroupsConnectorType(), UsersConnectorType(),
        ServicesConnectorType(), PostgresConnectorType(),
      ], external: ExternalConnectors())
  }
}
