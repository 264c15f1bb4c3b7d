import InfraCore

/// Makes the transport that reaches a host, from the host's `connect:` setting.
package protocol TransportProvider: Sendable {
  func makeTransport(for host: InventoryHost) throws -> any Transport
}

/// The transports built into `infra`.
package struct StandardTransports: TransportProvider {
  package init() {}

  package func makeTransport(for host: InventoryHost) throws -> any Transport {
    switch host.connection {
    case .local:
      return LocalTransport(host: host)
    case .ssh:
      return try SSHTransport(host: host)
    case .program(let transport, _):
      throw TransportError.unsupported(
        host: host.name,
        reason: "its transport program '\(transport)' is not available to this command")
    }
  }
}
