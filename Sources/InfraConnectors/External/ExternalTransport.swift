import Foundation
import InfraCore
import InfraTransport

/// The transports of a repository: the builtin ones, and the programs under `transports:` in
/// infra.yaml for hosts whose `connect:` names one (pyinfra's executing connectors).
public struct RepositoryTransports: TransportProvider {
  public let config: InfraConfig
  public let repository: Repository
  private let programs: TransportPrograms

  public init(config: InfraConfig, repository: Repository) {
    self.config = config
    self.repository = repository
    self.programs = TransportPrograms(config: config, repository: repository)
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
      host: host, name: name, address: address, timeout: .seconds(program.timeout),
      programs: programs)
  }
}

/// The running transport programs of one provider: one process per program, shared by every
/// host that names it, started when the first of them connects and shut down when the last
/// disconnects.
actor TransportPrograms {
  let config: InfraConfig
  let repository: Repository
  private var running: [String: (start: Task<ConnectorChannel, any Error>, hosts: Int)] = [:]

  init(config: InfraConfig, repository: Repository) {
    self.config = config
    self.repository = repository
  }

  /// The program's channel, for one more host.
  func acquire(_ name: String) async throws -> ConnectorChannel {
    if running[name] == nil {
      guard let program = config.transports[name] else {
        throw ExternalConnectorError("infra.yaml declares no transport '\(name)'")
      }
      // It learns every host that may connect through it, as a connector learns its hosts.
      let hosts = Inventory(config: config).hosts.filter {
        if case .program(name, _) = $0.connection { true } else { false }
      }
      let repository = repository
      let start = Task {
        try await ExternalConnectors.start(
          program, name: "transport \(name)", repository: repository,
          handler: ExternalConnectors.refusing("a transport program"),
          initialize: [
            "name": .string(name), "hosts": .array(hosts.map(ExternalConnectors.describe)),
          ],
          offering: "execution"
        ).0
      }
      running[name] = (start, 0)
    }
    running[name]?.hosts += 1
    guard let start = running[name]?.start else {
      throw ExternalConnectorError("transport '\(name)' ended while it started")
    }
    do {
      return try await start.value
    } catch {
      await release(name)
      throw error
    }
  }

  /// One host fewer: the last one shuts the program down.
  func release(_ name: String) async {
    guard let entry = running[name] else { return }
    guard entry.hosts <= 1 else {
      running[name]?.hosts -= 1
      return
    }
    running[name] = nil
    if let channel = try? await entry.start.value {
      await channel.close(grace: .seconds(5))
    }
  }
}

/// A host reached through a transport program: every command, upload and download goes to
/// the program (`transport/run`, `transport/put`, `transport/get`), which serves every host
/// naming it from one process.
final class ExternalTransport: Transport, Sendable {
  let host: InventoryHost
  let name: String
  let address: String
  /// How long any one call may take (`timeout:` of the program's entry).
  let timeout: Duration
  private let programs: TransportPrograms
  private let channel = ChannelHolder()

  init(
    host: InventoryHost, name: String, address: String, timeout: Duration,
    programs: TransportPrograms
  ) {
    self.host = host
    self.name = name
    self.address = address
    self.timeout = timeout
    self.programs = programs
  }

  func connect() async throws {
    let channel: ConnectorChannel
    do {
      channel = try await programs.acquire(name)
    } catch {
      throw TransportError.unreachable(host: host.name, reason: "\(error)")
    }
    do {
      _ = try await channel.call(
        "transport/connect",
        .object([
          "host": .string(host.name), "address": .string(address), "data": .object(host.data),
        ]), timeout: timeout)
    } catch {
      await programs.release(name)
      throw TransportError.unreachable(host: host.name, reason: "\(error)")
    }
    await self.channel.set(channel)
  }

  func disconnect() async {
    guard let channel = await channel.take() else { return }
    _ = try? await channel.call(
      "transport/disconnect", .object(["host": .string(host.name)]), timeout: .seconds(10))
    await programs.release(name)
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
