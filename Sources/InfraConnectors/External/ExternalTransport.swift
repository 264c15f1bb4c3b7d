import Foundation
import InfraCore
import InfraTransport

/// The transports of a repository: the builtin ones, and the programs under `transports:` in
/// infra.yaml for hosts whose `connect:` names one (pyinfra's executing connectors).
public struct RepositoryTransports: TransportProvider {
  public let config: InfraConfig
  public let repository: Repository

  public init(config: InfraConfig, repository: Repository) {
    self.config = config
    self.repository = repository
  }

  public func makeTransport(for host: InventoryHost) throws -> any Transport {
    guard case .program(let name, let address) = host.connection else {
      return try StandardTransports().makeTransport(for: host)
    }
    guard let program = config.transports[name] else {
      throw TransportError.unsupported(
        host: host.name, reason: "infra.yaml declares no transport '\(name)'")
    }
    return ExternalTransport(
      host: host, name: name, address: address, program: program, repository: repository)
  }
}

/// A host reached through a transport program: every command, upload and download goes to
/// the program (`transport/run`, `transport/put`, `transport/get`), one process per host.
final class ExternalTransport: Transport, Sendable {
  let host: InventoryHost
  let name: String
  let address: String
  let program: ExternalProgram
  let repository: Repository
  private let channel = ChannelHolder()

  init(
    host: InventoryHost, name: String, address: String, program: ExternalProgram,
    repository: Repository
  ) {
    self.host = host
    self.name = name
    self.address = address
    self.program = program
    self.repository = repository
  }

  private var timeout: Duration { .seconds(program.timeout) }

  func connect() async throws {
    do {
      let (channel, _) = try await ExternalConnectors.start(
        program, name: "transport \(name)", repository: repository,
        handler: ExternalConnectors.refusing("a transport program"),
        initialize: ["name": .string(name), "hosts": .array([ExternalConnectors.describe(host)])],
        offering: "execution")
      await self.channel.set(channel)
      _ = try await channel.call(
        "transport/connect",
        .object([
          "host": .string(host.name), "address": .string(address), "data": .object(host.data),
        ]), timeout: timeout)
    } catch {
      await disconnect()
      throw TransportError.unreachable(host: host.name, reason: "\(error)")
    }
  }

  func disconnect() async {
    guard let channel = await channel.take() else { return }
    _ = try? await channel.call(
      "transport/disconnect", .object(["host": .string(host.name)]), timeout: .seconds(10))
    await channel.close(grace: .seconds(5))
  }

  func run(_ command: ShellCommand, input: Data?, timeout: Duration?) async throws
    -> CommandResult
  {
    var params: [String: JSONValue] = [
      "host": .string(host.name), "command": .string(command.string),
    ]
    if let input { params["input"] = .string(input.base64EncodedString()) }
    if let timeout { params["timeout"] = .int(Int(timeout.components.seconds)) }
    let answer = try await call(
      "transport/run", .object(params), timeout: (timeout ?? self.timeout) + .seconds(5))
    return CommandResult(
      exitCode: Int32(answer["exit_code"]?.intValue ?? -1),
      stdout: Self.bytes(answer["stdout"]), stderr: Self.bytes(answer["stderr"]))
  }

  func put(_ content: Data, at path: String, attributes: FileAttributes) async throws {
    try FileTransfer.requireAbsolute(path, on: host.name)
    var params: [String: JSONValue] = [
      "host": .string(host.name), "path": .string(path),
      "content": .string(content.base64EncodedString()),
    ]
    if let mode = attributes.mode { params["mode"] = .string(FileModeText.octal(mode)) }
    if let owner = attributes.owner { params["owner"] = .string(owner) }
    if let group = attributes.group { params["group"] = .string(group) }
    do {
      _ = try await call("transport/put", .object(params), timeout: timeout)
    } catch let error as ConnectorChannel.RemoteError {
      throw TransportError.fileError(host: host.name, path: path, reason: error.message)
    }
  }

  func get(_ path: String) async throws -> Data {
    try FileTransfer.requireAbsolute(path, on: host.name)
    do {
      let answer = try await call(
        "transport/get", .object(["host": .string(host.name), "path": .string(path)]),
        timeout: timeout)
      return Self.bytes(answer["content"])
    } catch let error as ConnectorChannel.RemoteError {
      throw TransportError.fileError(host: host.name, path: path, reason: error.message)
    }
  }

  private func call(_ method: String, _ params: JSONValue, timeout: Duration) async throws
    -> JSONValue
  {
    guard let channel = await channel.get() else {
      throw TransportError.unreachable(host: host.name, reason: "it is not connected")
    }
    return try await channel.call(method, params, timeout: timeout)
  }

  private static func bytes(_ value: JSONValue?) -> Data {
    value?.stringValue.flatMap { Data(base64Encoded: $0) } ?? Data()
  }
}

/// The channel of a transport, set on connect and taken on disconnect.
private actor ChannelHolder {
  private var channel: ConnectorChannel?

  func set(_ channel: ConnectorChannel) { self.channel = channel }
  func get() -> ConnectorChannel? { channel }

  func take() -> ConnectorChannel? {
    defer { channel = nil }
    return channel
  }
}

/// File modes as the protocol writes them: `"0644"`.
enum FileModeText {
  static func octal(_ mode: UInt32) -> String {
    let digits = String(mode, radix: 8)
    return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
  }
}
