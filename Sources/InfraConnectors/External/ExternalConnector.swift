import Foundation
import InfraCore
import InfraEngine
import InfraTransport
import Synchronization

/// Starts external connector programs (`run:` in infra.yaml) for the workspace loader.
public struct ExternalConnectors: ExternalConnectorLauncher {
  public static let protocolVersion = 1
  /// The most calls infra keeps in flight on one program, whatever it allows.
  static let maximumConcurrency = 64

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

  public func inventory(_ program: ExternalProgram, repository: Repository, names: [String]?)
    async throws -> String
  {
    let (channel, _) = try await Self.start(
      program, name: "inventory " + program.arguments.joined(separator: " "),
      repository: repository, handler: Self.refusing("an inventory program"),
      initialize: ["name": .string("inventory")], offering: "inventory")
    let timeout = Duration.seconds(program.timeout)
    do {
      let listed = try await channel.call(
        "inventory/list", .object(names.map { ["names": .array($0.map(JSONValue.string))] } ?? [:]),
        timeout: timeout)
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
      if let given = answer["concurrency"], given != .null {
        guard let limit = given.intValue, limit >= 1 else {
          throw ExternalConnectorError(
            "its `concurrency` must be a whole number of at least 1, not \(given.serialized)")
        }
        await channel.allow(concurrency: min(limit, maximumConcurrency))
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

/// A connector whose work is done by a program speaking the connector protocol. Calls go to
/// the program as the engine makes them, as many at once as the program allows (one per host
/// at most, as the engine works on a host with a connector one call at a time); while one
/// runs, the program may run commands on that call's host through infra's own transport for it.
final class ExternalConnector: Connector, Sendable {
  let name: String
  let prefix: String
  /// The hosts it serves: the only ones its resources may be on.
  let served: Set<String>
  let timeout: Duration
  private let channel = Mutex<ConnectorChannel?>(nil)
  /// The hosts of the calls in flight: their transport, where their logs go, how many calls.
  private let calls = Mutex<[String: HostCall]>([:])

  private struct HostCall {
    var transport: any Transport
    var log: ConnectorLog.Sink?
    var count: Int
  }

  init(name: String, prefix: String, hosts: Set<String>, timeout: Duration) {
    self.name = name
    self.prefix = prefix
    self.served = hosts
    self.timeout = timeout
  }

  func attach(_ channel: ConnectorChannel) {
    self.channel.withLock { $0 = channel }
  }

  /// One call; with `host`, the program may use that host (and log about it) until it answers.
  func call(_ method: String, _ params: JSONValue, host: (String, any Transport)? = nil)
    async throws -> JSONValue
  {
    guard let channel = channel.withLock({ $0 }) else {
      throw ExternalConnectorError("connector '\(name)' is not running")
    }
    guard let (hostName, transport) = host else {
      return try await channel.call(method, params, timeout: timeout)
    }
    let log = ConnectorLog.sink
    calls.withLock { calls in
      if calls[hostName] == nil {
        calls[hostName] = HostCall(transport: transport, log: log, count: 1)
      } else {
        calls[hostName]?.count += 1
      }
    }
    defer {
      calls.withLock { calls in
        calls[hostName]?.count -= 1
        if calls[hostName]?.count == 0 { calls[hostName] = nil }
      }
    }
    return try await channel.call(method, params, timeout: timeout)
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
      // The host it names, or the only one in flight (a program serving calls one at a time
      // need not say).
      let host = params["host"]?.stringValue
      let sink = calls.withLock { calls -> ConnectorLog.Sink? in
        if let host { return calls[host]?.log }
        return calls.count == 1 ? calls.first?.value.log : nil
      }
      sink?(level, params["message"]?.stringValue ?? "", address)
      return .null
    case "host/run", "host/put", "host/get":
      let host = params["host"]?.stringValue ?? ""
      guard let transport = calls.withLock({ $0[host]?.transport }) else {
        throw ConnectorChannel.RemoteError(
          code: -32602,
          message:
            "host '\(host)' is the host of no call in flight, so it cannot be used: "
            + "name the host of the call (its `host` param)")
      }
      return try await HostCalls(transport: transport).answer(method, params)
    default:
      throw ConnectorChannel.RemoteError(code: -32601, message: "infra has no method '\(method)'")
    }
  }

  // MARK: Connector

  /// `filter` (which files it owns), `validate` (what is wrong in them, located), and when
  /// nothing is, `load` (what they declare): the first two are optional for a program.
  func load(_ request: LoadRequest) async -> LoadResponse {
    var response = LoadResponse()
    func texts(_ list: [ResourceFile]) -> [JSONValue] {
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
    do {
      let unowned = try await filter(request.files + request.removed)
      response.unclaimed = request.files.compactMap { file in
        unowned[file.address.path].map { (file, $0) }
      }
      let files = texts(request.files.filter { unowned[$0.address.path] == nil })
      let removed = texts(request.removed.filter { unowned[$0.address.path] == nil })
      if !files.isEmpty {
        response.diagnostics +=
          try await optional("validate", .object(["files": .array(files)]))
          .map { diagnostics($0["diagnostics"]) } ?? []
        if response.diagnostics.contains(where: { $0.severity == .error }) { return response }
      }
      let params: JSONValue = .object(["files": .array(files), "removed": .array(removed)])
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
      // What `validate` said already (warnings) is not said twice.
      let said = Set(response.diagnostics)
      response.diagnostics += diagnostics(answer["diagnostics"]).filter { !said.contains($0) }
    } catch {
      // About the connector's folder as a whole: `name` is `prefix/connector`.
      response.diagnostics.append(
        .error(
          "\(error)", at: SourceLocation(file: "\(Repository.resourcesFolderName)/\(name)/"),
          hint: "run the program by hand to see what it says; `infra -v` logs every call"))
    }
    return response
  }

  /// The files the program does not own (`filter`), each with the reason; none when it does
  /// not filter.
  private func filter(_ files: [ResourceFile]) async throws -> [String: String] {
    guard !files.isEmpty else { return [:] }
    let addresses = files.map(\.address.path)
    guard
      let answer = try await optional(
        "filter", .object(["addresses": .array(addresses.map(JSONValue.string))]))
    else { return [:] }
    let owned = Set((answer["owned"]?.arrayValue ?? []).compactMap(\.stringValue))
    let reasons = answer["reasons"]?.objectValue ?? [:]
    var unowned: [String: String] = [:]
    for address in addresses where !owned.contains(address) {
      unowned[address] =
        reasons[address]?.stringValue ?? "the connector's filter does not take it"
    }
    return unowned
  }

  /// A call the program may leave out: `nil` when it answers that it has no such method.
  private func optional(_ method: String, _ params: JSONValue) async throws -> JSONValue? {
    do {
      return try await call(method, params)
    } catch let error as ConnectorChannel.RemoteError where error.code == -32601 {
      return nil
    }
  }

  /// `[{severity, message, file, line, column, hint}]`, as `validate` and `load` answer.
  private func diagnostics(_ value: JSONValue?) -> [Diagnostic] {
    (value?.arrayValue ?? []).map { item in
      let location = item["file"]?.stringValue.map {
        SourceLocation(file: $0, line: item["line"]?.intValue, column: item["column"]?.intValue)
      }
      let message = item["message"]?.stringValue ?? "a problem without a message"
      let hint = item["hint"]?.stringValue
      return item["severity"]?.stringValue == "warning"
        ? .warning(message, at: location, hint: hint)
        : .error(message, at: location, hint: hint)
    }
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
