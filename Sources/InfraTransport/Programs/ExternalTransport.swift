import Foundation
import InfraCore

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

  /// Connects through the program; what it logs about this host from now on goes where the
  /// work that connects logs to.
  func connect() async throws {
    let channel: ProgramChannel
    do {
      channel = try await programs.acquire(name, for: host.name, log: ProgramLog.destination)
    } catch {
      throw TransportError.unreachable(host: host.name, reason: "\(error)")
    }
    do {
      _ = try await channel.call(
        "transport/connect",
        ConnectParams(host: host.name, address: address, data: host.data), as: EmptyMessage.self,
        timeout: timeout)
    } catch {
      await programs.release(name, for: host.name)
      throw TransportError.unreachable(host: host.name, reason: "\(error)")
    }
    await self.channel.set(channel)
  }

  /// Disconnects, also when the task that disconnects was cancelled (a Ctrl-C).
  func disconnect() async {
    guard let channel = await channel.take() else { return }
    let (programs, name, host) = (programs, name, host.name)
    await Task {
      // A program still busy with a call a stopped run abandoned is not asked: it is stopped
      // once its last host has let go.
      if !channel.isBusyWithAbandonedCalls {
        _ = try? await channel.call(
          "transport/disconnect", HostParams(host: host), as: EmptyMessage.self,
          timeout: .seconds(10))
      }
      await programs.release(name, for: host)
    }.value
  }

  func run(_ command: ShellCommand, input: Data?, timeout: Duration?) async throws
    -> CommandResult
  {
    let params = RunParams(
      host: host.name, command: command.string, input: input.map(Base64.init),
      timeout: timeout.map { Int($0.components.seconds) })
    return try await call(
      "transport/run", params, as: RunAnswer.self, timeout: (timeout ?? self.timeout) + .seconds(5)
    ).result
  }

  func put(_ content: Data, at path: String, attributes: FileAttributes) async throws {
    try FileTransfer.requireAbsolute(path, on: host.name)
    let params = PutParams(
      host: host.name, path: path, content: Base64(content),
      mode: attributes.mode.map(OctalMode.init),
      owner: attributes.owner, group: attributes.group)
    do {
      _ = try await call("transport/put", params, as: EmptyMessage.self, timeout: timeout)
    } catch let error as RPC.RemoteError {
      throw TransportError.fileError(host: host.name, path: path, reason: error.message)
    }
  }

  func get(_ path: String) async throws -> Data {
    try FileTransfer.requireAbsolute(path, on: host.name)
    do {
      return try await call(
        "transport/get", GetParams(host: host.name, path: path), as: GetAnswer.self,
        timeout: timeout
      ).content.data
    } catch let error as RPC.RemoteError {
      throw TransportError.fileError(host: host.name, path: path, reason: error.message)
    }
  }

  private func call<Answer: Decodable>(
    _ method: String, _ params: some Encodable & Sendable, as type: Answer.Type,
    timeout: Duration
  ) async throws -> Answer {
    guard let channel = await channel.get() else {
      throw TransportError.unreachable(host: host.name, reason: "it is not connected")
    }
    return try await channel.call(method, params, as: type, timeout: timeout)
  }
}

/// The channel of a transport, set on connect and taken on disconnect.
private actor ChannelHolder {
  private var channel: ProgramChannel?

  func set(_ channel: ProgramChannel) { self.channel = channel }
  func get() -> ProgramChannel? { channel }

  func take() -> ProgramChannel? {
    defer { channel = nil }
    return channel
  }
}
