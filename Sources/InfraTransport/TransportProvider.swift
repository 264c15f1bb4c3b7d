import InfraCore

/// Makes the transport that reaches a host, from the host's `connect:` setting.
public protocol TransportProvider: Sendable {
  func makeTransport(for host: InventoryHost) throws -> any Transport
}

/// The transports built into `infra`.
public struct StandardTransports: TransportProvider {
  public init() {}

  public func makeTransport(for host: InventoryHost) throws -> any Transport {
    switch host.connection {
    case .local:
      return LocalTransport(host: host)
    case .ssh:
      return try SSHTransport(host: host)
    }
  }
}
