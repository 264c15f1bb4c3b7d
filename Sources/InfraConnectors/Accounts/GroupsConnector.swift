import Foundation
import InfraCore
import InfraEngine
import InfraTransport

/// The builtin `groups` connector: a host's groups, read with `getent` and changed with
/// `groupadd`, `groupmod` and `groupdel`, every argument quoted.
package struct GroupsConnectorType: ConnectorType {
  package init() {}

  package var info: ConnectorTypeInfo {
    ConnectorTypeInfo(
      type: "groups",
      summary:
        "Groups: gid, system group, absent; all of a host's groups read in one getent call.",
      layout: GroupsConnector.layout)
  }

  package func make(_ context: ConnectorContext) throws -> any Connector {
    GroupsConnector(
      targets: HostTargets(context))
  }
}

struct GroupsConnector: Connector {
  static let layout = "<host or @group>/GROUP.yaml"

  let targets: HostTargets

  func load(_ request: LoadRequest) async -> LoadResponse {
    NamedFilesLoader<GroupFile>(targets: targets, layout: Self.layout).load(request)
  }

  func read(_ request: ReadRequest) async throws -> ReadResponse {
    let accounts = try await AccountsReader.read(keysOf: [], through: request.transport)
    var states: [Address: LiveState] = [:]
    for resource in request.resources {
      let file = try GroupFile(json: resource.desired)
      let state: JSONValue =
        accounts.groups[file.name].map { .object(["gid": .int($0.gid)]) } ?? .null
      states[resource.address] = LiveState(state: state, fingerprint: state.fingerprint)
    }
    return ReadResponse(states: states)
  }

  func plan(_ request: PlanRequest) async throws -> PlanResponse {
    var response = PlanResponse()
    for item in request.items {
      let file = try GroupFile(json: item.resource.desired)
      let gid = item.live.state["gid"]?.intValue
      let address = item.resource.address
      var argv: [String]
      var message: String
      var action = Action.update
      if file.absent {
        guard gid != nil else { continue }
        (argv, message, action) = (
          ["groupdel", "--", file.name], "delete group \(file.name)", .delete
        )
      } else if gid == nil {
        argv =
          ["groupadd"] + (file.gid.map { ["-g", String($0)] } ?? [])
          + (file.system ? ["-r"] : []) + ["--", file.name]
        message = "create group \(file.name)" + (file.gid.map { " (gid \($0))" } ?? "")
        action = .create
      } else if let wanted = file.gid, wanted != gid {
        argv = ["groupmod", "-g", String(wanted), "--", file.name]
        message = "update group \(file.name): gid \(gid ?? 0) → \(wanted)"
      } else {
        continue
      }
      response.ops.append(
        PlannedOp(
          address: address, action: action, message: message,
          details: ["runs: \(ShellCommand(words: argv).string)"],
          payload: .object(["argv": .array(argv.map(JSONValue.string))]),
          touches: ["group:\(file.name)"]))
    }
    return response
  }

  func apply(_ request: ApplyRequest) async -> ApplyResponse {
    await CommandSteps.apply(request, request.ops.map(CommandSteps.payloadCommand))
  }

  func list(_ request: ListRequest) async throws -> ListResponse {
    let accounts = try await AccountsReader.read(keysOf: [], through: request.transport)
    let range =
      (accounts.definitions["GID_MIN"] ?? 1000)...(accounts.definitions["GID_MAX"] ?? 60000)
    var response = ListResponse()
    let names =
      request.paths.isEmpty
      ? accounts.groups.values.filter { range.contains($0.gid) }.map(\.name).sorted()
      : request.paths
    for name in names {
      guard let group = accounts.groups[name] else {
        response.skipped.append("\(name.clipped()): \(request.host.name) has no such group")
        continue
      }
      guard AccountNames.isValid(name) else {
        response.skipped.append("\(name.clipped()): not a group name infra manages")
        continue
      }
      let address = Address(
        prefix: targets.prefix, segments: [targets.connector, request.host.name, name + ".yaml"])
      response.files.append((address, Data("gid: \(group.gid)\n".utf8)))
    }
    return response
  }
}

extension JSONValue {
  /// A short digest of the value, for a live state's fingerprint.
  var fingerprint: String {
    self == .null ? "absent" : String(SHA256Hex.of(Data(serialized.utf8)).prefix(16))
  }
}

extension CommandSteps {
  /// An op whose payload is `{"argv": [...]}`: one program and its arguments, quoted here.
  static func payloadCommand(_ op: PlannedOp) -> (
    op: PlannedOp, command: Result<String, Unrunnable>
  ) {
    guard case .array(let items) = op.payload["argv"], !items.isEmpty,
      case let words = items.compactMap(\.stringValue), words.count == items.count
    else {
      return (op, .failure(Unrunnable(reason: "its payload has no command")))
    }
    return (op, .success(ShellCommand(words: words).string))
  }
}
