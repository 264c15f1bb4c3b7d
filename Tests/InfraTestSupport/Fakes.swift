import Foundation
import InfraCore
import InfraEngine
import InfraTransport
import Synchronization

/// A thread-safe list of what happened, in order, for asserting on calls.
package final class CallLog: Sendable {
  private let entries = Mutex<[String]>([])

  package init() {}

  package func record(_ entry: String) {
    entries.withLock { $0.append(entry) }
  }

  package var all: [String] { entries.withLock { $0 } }
}

/// A transport that touches nothing: files live in memory, commands are recorded.
package struct FakeTransport: Transport {
  package let host: InventoryHost
  package let log: CallLog

  package init(host: InventoryHost, log: CallLog) {
    self.host = host
    self.log = log
  }

  package func connect() async throws { log.record("connect \(host.name)") }
  package func disconnect() async { log.record("disconnect \(host.name)") }

  package func run(_ command: ShellCommand, input: Data?, timeout: Duration?) async throws
    -> CommandResult
  {
    log.record("run \(host.name) \(command.string)")
    return CommandResult(exitCode: 0)
  }

  package func put(_ content: Data, at path: String, attributes: FileAttributes) async throws {
    log.record("put \(host.name) \(path)")
  }

  package func get(_ path: String) async throws -> Data {
    throw TransportError.notFound(host: host.name, path: path)
  }
}

/// Makes fake transports; hosts named in `unreachable` fail to connect.
package struct FakeTransportProvider: TransportProvider {
  package let log: CallLog
  package let unreachable: Set<String>

  package init(log: CallLog, unreachable: Set<String> = []) {
    self.log = log
    self.unreachable = unreachable
  }

  package func makeTransport(for host: InventoryHost) throws -> any Transport {
    if unreachable.contains(host.name) {
      log.record("unreachable \(host.name)")
      throw TransportError.unreachable(host: host.name, reason: "connection refused")
    }
    return FakeTransport(host: host, log: log)
  }
}

/// A connector whose world is a dictionary: desired state comes from resource file contents,
/// live state from `live`, and every call is recorded.
///
/// Each resource file `<name>/<host>/<key>` declares `<key>` on `<host>` with the file's text as
/// its desired value; a file whose text is `absent` asks for deletion.
package struct FakeConnector: Connector {
  package let log: CallLog
  /// Live values by host, then by address path.
  package let live: [String: [String: String]]
  /// Hosts whose read throws.
  package let failingReads: Set<String>
  /// Address paths whose op fails when applied.
  package let failingOps: Set<String>
  /// After this many ops, each op waits until the run is asked to stop before it finishes: a
  /// cancel or a timeout then always finds an op running, however busy the machine is.
  package let holdOpsAfter: Int?

  package init(
    log: CallLog, live: [String: [String: String]] = [:], failingReads: Set<String> = [],
    failingOps: Set<String> = [], holdOpsAfter: Int? = nil
  ) {
    self.log = log
    self.live = live
    self.failingReads = failingReads
    self.failingOps = failingOps
    self.holdOpsAfter = holdOpsAfter
  }

  package func load(_ request: LoadRequest) async -> LoadResponse {
    var response = LoadResponse()
    for file in request.files {
      let segments = file.address.segments
      guard segments.count >= 3 else {
        response.unclaimed.append((file, "it is not in a host folder"))
        continue
      }
      let text = (try? String(contentsOf: file.url, encoding: .utf8)) ?? ""
      let value = text.trimmingCharacters(in: .whitespacesAndNewlines)
      response.resources.append(
        Resource(
          address: file.address, host: segments[1], sources: [file.path],
          desired: value == "absent" ? .null : .string(value)))
    }
    return response
  }

  package func read(_ request: ReadRequest) async throws -> ReadResponse {
    log.record(
      "read \(request.host.name) \(request.resources.map(\.address.path).joined(separator: ","))")
    if failingReads.contains(request.host.name) {
      throw TransportError.commandFailed(
        host: request.host.name, command: "read", exitCode: 1, stderr: "disk on fire")
    }
    var states: [Address: LiveState] = [:]
    for resource in request.resources {
      let value = live[request.host.name]?[resource.address.path]
      states[resource.address] = LiveState(
        state: value.map(JSONValue.string) ?? .null, fingerprint: value ?? "absent")
    }
    return ReadResponse(states: states)
  }

  /// Each op touches `fake:<its address path>`. A resource whose text is `then A,B` plans
  /// nothing of its own but an op triggered by changes to those address paths; one whose text
  /// is `needs A` is created only if a change to `A` settles it.
  package func plan(_ request: PlanRequest) async throws -> PlanResponse {
    var response = PlanResponse()
    for item in request.items where item.resource.desired != item.live.state {
      let path = item.resource.address.path
      let text = item.resource.desired.stringValue ?? ""
      let action: Action =
        item.resource.desired == .null ? .delete : item.live.exists ? .update : .create
      let op = PlannedOp(
        address: item.resource.address, action: action, message: "\(action.rawValue) \(path)",
        payload: item.resource.desired, touches: ["fake:\(path)"])
      if text.hasPrefix("then ") {
        let watches = text.dropFirst(5).split(separator: ",").map { "fake:\($0)" }
        var triggered = op
        triggered.message = "then \(path)"
        response.triggered.append(TriggeredOp(op: triggered, watches: watches))
        continue
      }
      if text.hasPrefix("needs ") {
        response.problems.append(
          ResourceProblem(
            address: item.resource.address, message: "\(path) needs \(text.dropFirst(6))",
            unless: ["fake:\(text.dropFirst(6))"], resolution: "settled"))
      }
      response.ops.append(op)
    }
    return response
  }

  package func apply(_ request: ApplyRequest) async -> ApplyResponse {
    var outcomes: [OpOutcome] = []
    for op in request.ops {
      if request.shouldStop() { break }
      request.onStart(op.address)
      log.record("apply \(request.host.name) \(op.action.rawValue) \(op.address.path)")
      if let holdOpsAfter, outcomes.count >= holdOpsAfter {
        while !request.shouldStop() { try? await Task.sleep(for: .milliseconds(5)) }
      }
      let failed = failingOps.contains(op.address.path)
      let outcome = OpOutcome(address: op.address, status: failed ? .failed("it broke") : .applied)
      request.onOutcome(outcome)
      outcomes.append(outcome)
      if failed { break }
    }
    return ApplyResponse(outcomes: outcomes)
  }
}

/// A connector type that hands out one prepared `FakeConnector` under the name `fake`.
package struct FakeConnectorType: ConnectorType {
  package let connector: FakeConnector
  package let typeName: String

  package init(_ connector: FakeConnector, typeName: String = "fake") {
    self.connector = connector
    self.typeName = typeName
  }

  package var info: ConnectorTypeInfo {
    ConnectorTypeInfo(
      type: typeName, summary: "a recording fake", layout: "<host>/<key>",
      options: [
        OptionSpec("flavour", .string, default: .string("plain"), "a string option"),
        OptionSpec("retries", .integer, "an integer option"),
      ])
  }

  package func make(_ context: ConnectorContext) throws -> any Connector {
    connector
  }
}
