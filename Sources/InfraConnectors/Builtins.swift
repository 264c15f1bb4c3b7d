import InfraEngine

extension ConnectorRegistry {
  /// Every connector type built into `infra`, and external connector programs.
  public static var builtin: ConnectorRegistry {
    ConnectorRegistry([FilesConnectorType()], external: ExternalConnectors())
  }
}
