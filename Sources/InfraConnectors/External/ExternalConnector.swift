import Foundation
import InfraCore
import InfraEngine
import InfraTransport
import Synchronization

/// A connector whose work is done by a program speaking the connector protocol. Calls go to
/// the program as the engine makes them, as many at once as the program allows (one per host
/// at most, as the engine works on a host with a connector one call at a time); while one
/// runs, the program may run commands on that call's host through infra's own transport for it,
/// and what it logs goes where the engine's work on that host logs to.
final class ExternalConnector: Connector, Sendable {
  let id: ConnectorID
  /// The hosts it serves: the only ones its resources may be on.
  let served: Set<String>
  let timeout: Duration
  private let channel = Mutex<ProgramChannel?>(nil)
  /// The hosts of the calls in flight: their transport, where their logs go, which calls, and
  /// what those calls logged or were refused.
  let calls = Mutex<[String: HostCall]>([:])
  /// Hosts whose connection was lost under one of the program's `host/...` requests, and why.
  let lost = Mutex<[String: String]>([:])

  struct HostCall {
    var transport: any Transport
    var log: ProgramLog.Destination?
    /// The methods of the calls in flight on the host: `host/put` is for `apply` alone.
    var methods: [String] = []
    /// What the calls logged so far, and how many lines were dropped past the caps.
    var loggedLines = 0
    var loggedBytes = 0
    var droppedLines = 0
    /// Why the program's call back was refused, failing the call it came in.
    var refusal: String?
  }

  /// The calls of the protocol during which a program may write to the host.
  static let writingMethods: Set<String> = ["apply"]

  /// Decrypts the `.age` files of the connector's folder before they are sent.
  let cipher: AgeCipher

  init(id: ConnectorID, hosts: Set<String>, timeout: Duration, cipher: AgeCipher) {
    self.cipher = cipher
    self.id = id
    self.served = hosts
    self.timeout = timeout
  }

  func attach(_ channel: ProgramChannel) {
    self.channel.withLock { $0 = channel }
  }

  /// One call; with `host`, the program may use that host (and log about it) until it answers.
  /// A `sensitive` call (about sensitive resources) is logged without its messages.
  func call<Answer: Decodable>(
    _ method: String, _ params: some Encodable & Sendable, as type: Answer.Type,
    host: (name: String, transport: any Transport)? = nil, sensitive: Bool = false
  ) async throws -> Answer {
    guard let channel = channel.withLock({ $0 }) else {
      throw ProgramError("connector '\(id)' is not running")
    }
    guard let (hostName, transport) = host else {
      return try await channel.call(
        method, params, as: type, timeout: timeout, sensitive: sensitive)
    }
    let log = ProgramLog.destination
    calls.withLock { calls in
      calls[hostName, default: HostCall(transport: transport, log: log)].methods.append(method)
    }
    let result: Result<Answer, any Error>
    do {
      result = .success(
        try await channel.call(method, params, as: type, timeout: timeout, sensitive: sensitive))
    } catch {
      result = .failure(error)
    }
    let finished = calls.withLock { calls -> HostCall? in
      guard var call = calls[hostName] else { return nil }
      if let index = call.methods.firstIndex(of: method) { call.methods.remove(at: index) }
      calls[hostName] = call.methods.isEmpty ? nil : call
      return call
    }
    if let finished, finished.droppedLines > 0 {
      log?.receive(
        ProgramLog.Line(
          level: .warning,
          message:
            "\(finished.droppedLines.grouped) log lines dropped: connector '\(id)' logged more than \(Self.maxLogLines.grouped) lines or \(Self.maxLogBytes >> 20) MiB in one '\(method)' call"
        ))
    }
    if let refusal = finished?.refusal { throw failure(method, refusal) }
    return try result.get()
  }

  /// An error about an answer of the program, in the words of the channel's own.
  func failure(_ method: String, _ message: String) -> ProgramChannel.Failure {
    ProgramChannel.Failure(
      program: "connector '\(id)'", method: method, message: message, stderr: "")
  }

  /// The address of a resource the program names in its answer to `method`.
  func address(_ path: String, in method: String, field: String) throws -> Address {
    guard let address = Address(path, of: id) else {
      throw failure(
        method,
        "\(field) is \(JSONValue.string(path).serialized), which is not a resource in its folder '\(id.name)/'"
      )
    }
    return address
  }

  func close() async {
    let channel = channel.withLock { channel in
      defer { channel = nil }
      return channel
    }
    await channel?.close()
  }

  // MARK: the program's calls

  /// A request of the program: `host/run`, `host/put` or `host/get`, on the host of a call in
  /// flight.
  func answer(_ request: IncomingRequest) async throws -> any Encodable & Sendable {
    guard HostCalls.methods.contains(request.method) || request.method == "host/put_many" else {
      throw RPC.RemoteError(.methodNotFound, "infra has no method '\(request.method)'")
    }
    let host = try request.params(HostParams.self).host
    guard let call = calls.withLock({ $0[host] }) else {
      throw RPC.RemoteError(
        .invalidParams,
        "host '\(host)' is the host of no call in flight, so it cannot be used: "
          + "name the host of the call (its `host` param)")
    }
    if request.method.hasPrefix("host/put"), Self.writingMethods.isDisjoint(with: call.methods) {
      let path =
        (try? request.params(PutParams.self).path)
        ?? (try? request.params(PutManyParams.self).files.first?.path) ?? "a file"
      let during = call.methods.first ?? "a call"
      let refusal =
        "it called '\(request.method)' to write \(JSONValue.string(path.clipped(to: 200)).serialized) on \(host) during '\(during)', and infra refused: only 'apply' may change a host; a read, plan or list must not (connectors/PROTOCOL.md)"
      calls.withLock { calls in
        if calls[host]?.refusal == nil { calls[host]?.refusal = refusal }
      }
      throw RPC.RemoteError(.failed, refusal)
    }
    let transport = call.transport
    do {
      if request.method == "host/put_many" {
        return try await PutMany.answer(try request.params(PutManyParams.self), through: transport)
      }
      return try await HostCalls(transport: transport).answer(request)
    } catch let error as TransportError {
      switch error {
      case .connectionLost(_, let reason, _), .unreachable(_, let reason):
        lost.withLock { $0[host] = reason }
      default: break
      }
      throw error
    }
  }

  // MARK: Connector

  func read(_ request: ReadRequest) async throws -> ReadResponse {
    let answer = try await call(
      "read",
      ReadParams(
        host: request.host.name,
        resources: request.resources.map {
          ResourceMessage(address: $0.address.path, desired: $0.desired)
        }), as: ReadAnswer.self, host: (request.host.name, request.transport),
      sensitive: request.resources.contains(where: \.sensitive))
    let asked = Dictionary(
      request.resources.map { ($0.address.path, $0.address) }, uniquingKeysWith: { a, _ in a })
    var states: [Address: LiveState] = [:]
    for (path, live) in answer.states {
      guard let address = asked[path] else {
        throw failure(
          "read", "'states' has \(JSONValue.string(path).serialized), which it was not asked about")
      }
      states[address] = LiveState(
        state: live.state, fingerprint: live.fingerprint ?? live.state.serialized)
    }
    return ReadResponse(states: states)
  }

  func plan(_ request: PlanRequest) async throws -> PlanResponse {
    let items = request.items.map(ResourceMessage.init(item:))
    let answer = try await call(
      "plan", PlanParams(host: request.host.name, items: items), as: PlanAnswer.self,
      host: (request.host.name, request.transport),
      sensitive: request.items.contains(where: \.resource.sensitive))
    var response = PlanResponse()
    for (index, op) in (answer.ops ?? []).enumerated() {
      let address = try address(op.address, in: "plan", field: "'ops[\(index)].address'")
      let action = Action(rawValue: op.action.rawValue) ?? .update
      response.ops.append(
        PlannedOp(
          address: address, action: action,
          message: op.message ?? "\(action.rawValue) \(address.path)", details: op.details ?? [],
          diff: op.diff, payload: op.payload ?? .null, sensitive: op.sensitive ?? false))
    }
    for (index, problem) in (answer.problems ?? []).enumerated() {
      response.problems.append(
        ResourceProblem(
          address: try address(problem.address, in: "plan", field: "'problems[\(index)].address'"),
          message: problem.message))
    }
    return response
  }

  /// One op per call, to report progress and stop between ops.
  func list(_ request: ListRequest) async throws -> ListResponse {
    let answer: ListAnswer
    do {
      answer = try await call(
        "list", HostParams(host: request.host.name), as: ListAnswer.self,
        host: (request.host.name, request.transport))
    } catch let error as RPC.RemoteError where error.is(.methodNotFound) {
      throw ConnectorCannotList()
    }
    var response = ListResponse()
    for (index, item) in answer.resources.enumerated() {
      let address = try address(item.address, in: "list", field: "'resources[\(index)].address'")
      response.files.append((address, Data(item.content.utf8)))
      if item.sensitive == true { response.sensitive.insert(address) }
    }
    return response
  }
}
