import Foundation
import InfraCore
import InfraEngine
import InfraTransport
import Synchronization

/// Starts external connector programs (`run:` in infra.yaml) for the workspace loader.
public struct ExternalConnectors: ExternalConnectorLauncher {
  public static let protocolVersion = 1

  public init() {}

  public func launch(_ context: ConnectorContext, program: ExternalProgram) async throws -> (
    ConnectorTypeInfo, any Connector
  ) {
    let connector = ExternalConnector(
      name: "\(context.prefix)/\(context.name)", prefix: context.prefix,
      hosts: Set(context.hosts.map(\.name)), timeout: .seconds(program.timeout))
    let (channel, answer) = try await Self.start(
      program, name: connector.name, repository: context.repository,
      handler: { [weak connector] method, params in
        guard let connector else { throw ExternalConnectorError("the connector has ended") }
        return try await connector.answer(method, params)
      },
      initialize: [
        "name": .string(context.name), "prefix": .string(context.prefix),
        "options": .object(context.options.mapValues(\.value)),
        "hosts": .array(context.hosts.map(Self.describe)),
      ])
    connector.attach(channel)
    do {
      let info = ConnectorTypeInfo(
        type: "run: " + program.arguments.joined(separator: " "),
        summary: answer["summary"]?.stringValue ?? "an external connector",
        layout: answer["layout"]?.stringValue ?? "",
        options: try Self.specs(answer["options"]), hostData: try Self.specs(answer["host_data"]))
      return (info, connector)
    } catch {
      await channel.close(grace: .seconds(2))
      throw error
    }
  }

  public func inventory(_ program: ExternalProgram, repository: Repository) async throws
    -> String
  {
    let (channel, _) = try await Self.start(
      program, name: "inventory " + program.arguments.joined(separator: " "),
      repository: repository, handler: Self.refusing("an inventory program"),
      initialize: ["name": .string("inventory")], offering: "inventory")
    let timeout = Duration.seconds(program.timeout)
    do {
      let listed = try await channel.call("inventory/list", .object([:]), timeout: timeout)
      await channel.close(grace: .seconds(2))
      // One host per line, `name: {settings}`, so that a problem names its line.
      var lines: [String] = []
      for host in listed["hosts"]?.arrayValue ?? [] {
        guard let name = host["name"]?.stringValue, case .object(var settings) = host else {
          throw ExternalConnectorError("it yielded a host without a name: \(host.serialized)")
        }
        settings["name"] = nil
        lines.append(
          JSONValue.string(name).serialized + ": " + JSONValue.object(settings).serialized)
      }
      return lines.isEmpty ? "{}\n" : lines.joined(separator: "\n") + "\n"
    } catch {
      await channel.close(grace: .seconds(2))
      throw error
    }
  }

  /// Starts `program` and makes the protocol's first call with `initialize` (to which the
  /// protocol version, and defaults for what is left out, are added): the answer, once the
  /// version is checked and, with `role`, that the program offers it. A program that fails
  /// any of that is stopped.
  static func start(
    _ program: ExternalProgram, name: String, repository: Repository,
    handler: @escaping ConnectorChannel.Handler, initialize: [String: JSONValue],
    offering role: String? = nil
  ) async throws -> (ConnectorChannel, JSONValue) {
    let channel = try ConnectorChannel(
      name: name, arguments: program.arguments, directory: repository.root.path,
      environment: try environment(program), handler: handler)
    var params: [String: JSONValue] = [
      "protocol_version": .int(protocolVersion), "prefix": .string(""), "options": .object([:]),
      "hosts": .array([]), "repository": .string(repository.root.path),
    ]
    params.merge(initialize) { _, given in given }
    do {
      let answer = try await channel.call(
        "initialize", .object(params), timeout: .seconds(program.timeout))
      let version = answer["protocol_version"]
      guard version?.intValue == protocolVersion else {
        throw ExternalConnectorError(
          "it speaks connector protocol version \(version?.serialized ?? "?"), and this infra speaks version \(protocolVersion)"
        )
      }
      if let role, answer["offers"]?.arrayValue?.contains(.string(role)) != true {
        throw ExternalConnectorError(
          "it does not offer \(role): `offers` in its initialize answer lacks it")
      }
      return (channel, answer)
    } catch {
      await channel.close(grace: .seconds(2))
      throw error
    }
  }

  /// The handler of a program that may not call infra back (inventory and transport programs).
  static func refusing(_ what: String) -> ConnectorChannel.Handler {
    { method, _ in
      throw ConnectorChannel.RemoteError(code: -32601, message: "\(what) cannot call '\(method)'")
    }
  }

  static func environment(_ program: ExternalProgram) throws -> [String: String] {
    var environment: [String: String] = [:]
    let own = ProcessInfo.processInfo.environment
    for name in ["PATH", "HOME", "LANG"] { environment[name] = own[name] }
    for (name, value) in program.environment {
      switch value {
      case .value(let text): environment[name] = text
      case .from(let variable):
        guard let text = own[variable] else {
          throw ExternalConnectorError(
            "its env '\(name)' takes '\(variable)' from infra's environment, where it is not set")
        }
        environment[name] = text
      }
    }
    return environment
  }

  static func describe(_ host: InventoryHost) -> JSONValue {
    .object([
      "name": .string(host.name), "groups": .array(host.groups.map(JSONValue.string)),
      "data": .object(host.data),
    ])
  }

  /// Declared options: `[{name, type, default, description}]`.
  static func specs(_ value: JSONValue?) throws -> [OptionSpec] {
    try (value?.arrayValue ?? []).map { item in
      guard let name = item["name"]?.stringValue,
        let type = OptionSpec.ValueType(rawValue: item["type"]?.stringValue ?? "")
      else {
        throw ExternalConnectorError(
          "it declared an option without a name or with a type other than string, integer, boolean, list or mapping: \(item.serialized)"
        )
      }
      let fallback = item["default"].flatMap { $0 == .null ? nil : $0 }
      return OptionSpec(
        name, type, default: fallback, item["description"]?.stringValue ?? "")
    }
  }
}

/// A problem with an external connector, for people.
struct ExternalConnectorError: Error, CustomStringConvertible {
  var description: String

  init(_ description: String) {
    self.description = description
  }
}

/// A connector whose work is done by a program speaking the connector protocol. Calls go one
/// at a time (the program answers them in order), and while one runs the program may run
/// commands on that call's host through infra's own transport for it.
final class ExternalConnector: Connector, Sendable {
  let name: String
  let prefix: String
  /// The hosts it serves: the only ones its resources may be on.
  let served: Set<String>
  let timeout: Duration
  private let channel = Mutex<ConnectorChannel?>(nil)
  /// The transports of the call in progress, by host name.
  private let hosts = Mutex<[String: any Transport]>([:])
  /// Where the call in progress logs to.
  private let log = Mutex<ConnectorLog.Sink?>(nil)
  private let turn = CallTurn()

  init(name: String, prefix: String, hosts: Set<String>, timeout: Duration) {
    self.name = name
    self.prefix = prefix
    self.served = hosts
    self.timeout = timeout
  }

  func attach(_ channel: ConnectorChannel) {
    self.channel.withLock { $0 = channel }
  }

  /// One call, after the calls before it have finished.
  func call(_ method: String, _ params: JSONValue, host: (String, any Transport)? = nil)
    async throws -> JSONValue
  {
    guard let channel = channel.withLock({ $0 }) else {
      throw ExternalConnectorError("connector '\(name)' is not running")
    }
    let log = ConnectorLog.sink
    return try await turn.run {
      if let host { self.hosts.withLock { $0 = [host.0: host.1] } }
      self.log.withLock { $0 = log }
      defer {
        self.hosts.withLock { $0 = [:] }
        self.log.withLock { $0 = nil }
      }
      return try await channel.call(method, params, timeout: self.timeout)
    }
  }

  func close() async {
    let channel = channel.withLock { channel in
      defer { channel = nil }
      return channel
    }
    await channel?.close()
  }

  // MARK: the program's calls

  func answer(_ method: String, _ params: JSONValue) async throws -> JSONValue {
    switch method {
    case "log":
      let level = ConnectorLog.Level(rawValue: params["level"]?.stringValue ?? "") ?? .info
      let address = params["address"]?.stringValue.map {
        Address(prefix: prefix, segments: $0.split(separator: "/").map(String.init))
      }
      log.withLock { $0 }?(level, params["message"]?.stringValue ?? "", address)
      return .null
    case "host/run", "host/put", "host/get":
      let host = params["host"]?.stringValue ?? ""
      guard let transport = hosts.withLock({ $0[host] }) else {
        throw ConnectorChannel.RemoteError(
          code: -32602,
          message: "host '\(host)' is not the host of the call in progress, so it cannot be used")
      }
      return try await HostCalls(transport: transport).answer(method, params)
    default:
      throw ConnectorChannel.RemoteError(code: -32601, message: "infra has no method '\(method)'")
    }
  }

  // MARK: Connector

  func load(_ request: LoadRequest) async -> LoadResponse {
    var response = LoadResponse()
    func files(_ list: [ResourceFile]) -> [JSONValue] {
      list.compactMap { file in
        guard let data = try? Data(contentsOf: file.url),
          let text = String(data: data, encoding: .utf8)
        else {
          response.diagnostics.append(
            .error(
              "\(file.path) is not UTF-8 text", at: file.location,
              hint: "connector '\(name)' reads text files"))
          return nil
        }
        return .object([
          "address": .string(file.address.path), "path": .string(file.path),
          "content": .string(text),
        ])
      }
    }
    let params: JSONValue = .object([
      "files": .array(files(request.files)), "removed": .array(files(request.removed)),
    ])
    do {
      let answer = try await call("load", params)
      for item in answer["resources"]?.arrayValue ?? [] {
        guard let path = item["address"]?.stringValue, let host = item["host"]?.stringValue
        else { continue }
        guard served.contains(host) else {
          response.diagnostics.append(
            .error(
              "connector '\(name)' declared \(path) on host '\(host)', which it does not serve",
              hint: "add the host to the connector's `hosts:` in infra.yaml, or fix the connector"))
          continue
        }
        response.resources.append(
          Resource(
            address: Address(prefix: prefix, segments: path.split(separator: "/").map(String.init)),
            host: host, sources: (item["sources"]?.arrayValue ?? []).compactMap(\.stringValue),
            desired: item["desired"] ?? .null,
            notes: (item["notes"]?.arrayValue ?? []).compactMap(\.stringValue),
            removed: item["removed"]?.boolValue ?? false))
      }
      for item in answer["diagnostics"]?.arrayValue ?? [] {
        let location = item["file"]?.stringValue.map {
          SourceLocation(file: $0, line: item["line"]?.intValue, column: item["column"]?.intValue)
        }
        let message = item["message"]?.stringValue ?? "a problem without a message"
        let hint = item["hint"]?.stringValue
        response.diagnostics.append(
          item["severity"]?.stringValue == "warning"
            ? .warning(message, at: location, hint: hint)
            : .error(message, at: location, hint: hint))
      }
    } catch {
      // About the connector's folder as a whole: `name` is `prefix/connector`.
      response.diagnostics.append(
        .error(
          "\(error)", at: SourceLocation(file: "\(Repository.resourcesFolderName)/\(name)/"),
          hint: "run the program by hand to see what it says; `infra -v` logs every call"))
    }
    return response
  }

  func read(_ request: ReadRequest) async throws -> ReadResponse {
    let answer = try await call(
      "read",
      .object([
        "host": .string(request.host.name),
        "resources": .array(request.resources.map { Self.item($0) }),
      ]), host: (request.host.name, request.transport))
    var states: [Address: LiveState] = [:]
    let byPath = Dictionary(
      request.resources.map { ($0.address.path, $0.address) }, uniquingKeysWith: { a, _ in a })
    for (path, value) in answer["states"]?.objectValue ?? [:] {
      guard let address = byPath[path] else { continue }
      let state = value["state"] ?? .null
      states[address] = LiveState(
        state: state, fingerprint: value["fingerprint"]?.stringValue ?? state.serialized)
    }
    return ReadResponse(states: states)
  }

  func plan(_ request: PlanRequest) async throws -> PlanResponse {
    let answer = try await call(
      "plan",
      .object([
        "host": .string(request.host.name),
        "items": .array(
          request.items.map { item in
            var object = Self.item(item.resource)
            if case .object(var fields) = object {
              fields["live"] = .object([
                "state": item.live.state, "fingerprint": .string(item.live.fingerprint),
              ])
              object = .object(fields)
            }
            return object
          }),
      ]), host: (request.host.name, request.transport))
    func address(_ value: JSONValue?) -> Address? {
      value?.stringValue.map {
        Address(prefix: prefix, segments: $0.split(separator: "/").map(String.init))
      }
    }
    var response = PlanResponse()
    for op in answer["ops"]?.arrayValue ?? [] {
      guard let address = address(op["address"]),
        let action = Action(rawValue: op["action"]?.stringValue ?? "")
      else {
        throw ExternalConnectorError(
          "connector '\(name)' planned an op without a valid address and action: \(op.serialized)")
      }
      response.ops.append(
        PlannedOp(
          address: address, action: action,
          message: op["message"]?.stringValue ?? "\(action.rawValue) \(address.path)",
          details: (op["details"]?.arrayValue ?? []).compactMap(\.stringValue),
          diff: op["diff"]?.stringValue, payload: op["payload"] ?? .null))
    }
    for problem in answer["problems"]?.arrayValue ?? [] {
      if let address = address(problem["address"]) {
        response.problems.append(
          ResourceProblem(address: address, message: problem["message"]?.stringValue ?? "failed"))
      }
    }
    return response
  }

  func apply(_ request: ApplyRequest) async -> ApplyResponse {
    var outcomes: [OpOutcome] = []
    for op in request.ops {
      if request.shouldStop() { break }
      request.onStart(op.address)
      let outcome: OpOutcome
      do {
        let answer = try await call(
          "apply",
          .object([
            "host": .string(request.host.name),
            "ops": .array([
              .object([
                "address": .string(op.address.path), "action": .string(op.action.rawValue),
                "payload": op.payload,
              ])
            ]),
          ]), host: (request.host.name, request.transport))
        let first = answer["outcomes"]?.arrayValue?.first
        if first?["status"]?.stringValue == "applied" {
          outcome = OpOutcome(address: op.address, status: .applied)
        } else {
          outcome = OpOutcome(
            address: op.address,
            status: .failed(first?["error"]?.stringValue ?? "the connector did not apply it"))
        }
      } catch {
        outcome = OpOutcome(address: op.address, status: .failed("\(error)"))
      }
      outcomes.append(outcome)
      request.onOutcome(outcome)
      if case .failed = outcome.status { break }
    }
    return ApplyResponse(outcomes: outcomes)
  }

  func list(_ request: ListRequest) async throws -> ListResponse {
    let answer = try await call(
      "list", .object(["host": .string(request.host.name)]),
      host: (request.host.name, request.transport))
    var response = ListResponse()
    for item in answer["resources"]?.arrayValue ?? [] {
      guard let path = item["address"]?.stringValue, let content = item["content"]?.stringValue
      else {
        throw ExternalConnectorError(
          "connector '\(name)' listed a resource without an address and content: \(item.serialized)"
        )
      }
      let segments = path.split(separator: "/").map(String.init)
      guard segments.count >= 2, !segments.contains(".."), !segments.contains(".") else {
        throw ExternalConnectorError("connector '\(name)' listed the unsafe address '\(path)'")
      }
      response.files.append(
        (Address(prefix: prefix, segments: segments), Data(content.utf8)))
    }
    return response
  }

  private static func item(_ resource: Resource) -> JSONValue {
    .object(["address": .string(resource.address.path), "desired": resource.desired])
  }
}

/// Lets one call at a time through, in the order they came.
private actor CallTurn {
  private var busy = false
  private var waiting: [CheckedContinuation<Void, Never>] = []

  func run<T: Sendable>(_ work: @Sendable () async throws -> T) async throws -> T {
    if busy {
      await withCheckedContinuation { waiting.append($0) }
    }
    busy = true
    defer {
      if waiting.isEmpty {
        busy = false
      } else {
        waiting.removeFirst().resume()
      }
    }
    return try await work()
  }
}

/// `host/run`, `host/put` and `host/get` through a host's transport.
private struct HostCalls {
  let transport: any Transport

  func answer(_ method: String, _ params: JSONValue) async throws -> JSONValue {
    switch method {
    case "host/run":
      guard let command = params["command"]?.stringValue else {
        throw ConnectorChannel.RemoteError(code: -32602, message: "host/run needs a 'command'")
      }
      let input = params["input"]?.stringValue.flatMap { Data(base64Encoded: $0) }
      let timeout = params["timeout"]?.intValue.map { Duration.seconds($0) }
      let result = try await transport.run(.raw(command), input: input, timeout: timeout)
      return .object([
        "exit_code": .int(Int(result.exitCode)),
        "stdout": .string(result.stdout.base64EncodedString()),
        "stderr": .string(result.stderr.base64EncodedString()),
      ])
    case "host/put":
      guard let path = params["path"]?.stringValue,
        let content = params["content"]?.stringValue.flatMap({ Data(base64Encoded: $0) })
      else {
        throw ConnectorChannel.RemoteError(
          code: -32602, message: "host/put needs a 'path' and base64 'content'")
      }
      let mode = params["mode"]?.stringValue.flatMap { UInt32($0, radix: 8) }
      try await transport.put(
        content, at: path,
        attributes: FileAttributes(
          mode: mode, owner: params["owner"]?.stringValue, group: params["group"]?.stringValue))
      return .object([:])
    default:
      guard let path = params["path"]?.stringValue else {
        throw ConnectorChannel.RemoteError(code: -32602, message: "host/get needs a 'path'")
      }
      return .object(["content": .string(try await transport.get(path).base64EncodedString())])
    }
  }
}
