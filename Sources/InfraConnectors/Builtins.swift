import InfraEngine

extension ConnectorRegistry {
  /// Every connector type built into `infra`.
  public static var builtin: ConnectorRegistry {
    ConnectorRegistry([FilesConnectorType()])
  }
}
