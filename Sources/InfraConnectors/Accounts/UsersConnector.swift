import Foundation
import InfraCore
import InfraEngine
import InfraTransport

/// The builtin `users` connector: a host's accounts and their SSH keys, read with `getent` in
/// one command, changed with `useradd`, `usermod` and `userdel` (every argument quoted), keys
/// written atomically by the user itself.
package struct UsersConnectorType: ConnectorType {
  package init() {}

  package var info: ConnectorTypeInfo {
    ConnectorTypeInfo(
      type: "users",
      summary:
        "User accounts: uid, groups, shell, home, comment, locked, authorized SSH keys, absent; all of a host's accounts read in one command.",
      layout: UsersConnector.layout)
  }

  package func make(_ context: ConnectorContext) throws -> any Connector {
    UsersConnector(
      targets: HostTargets(context))
  }
}

struct UsersConnector: Connector {
  static let layout = "<host or @group>/USER.yaml"

  let targets: HostTargets

  func load(_ request: LoadRequest) async -> LoadResponse {
    NamedFilesLoader<UserFile>(targets: targets, layout: Self.layout).load(request)
  }

  func read(_ request: ReadRequest) async throws -> ReadResponse {
    let files = try request.resources.map { try UserFile(json: $0.desired) }
    let accounts = try await AccountsReader.read(
      keysOf: files.filter { $0.authorizedKeys != nil }.map(\.name), through: request.transport)
    var states: [Address: LiveState] = [:]
    for (resource, file) in zip(request.resources, files) {
      let account = LiveAccount(
        user: accounts.users[file.name].map {
          LiveUser($0, in: accounts, keys: file.authorizedKeys != nil)
        },
        missingGroups: ([file.group].compactMap { $0 } + (file.groups ?? [])).filter {
          Int($0) == nil && accounts.groups[$0] == nil
        })
      let state = account.json
      states[resource.address] = LiveState(state: state, fingerprint: state.fingerprint)
    }
    return ReadResponse(states: states)
  }

  func plan(_ request: PlanRequest) async throws -> PlanResponse {
    var response = PlanResponse()
    for item in request.items {
      let file = try UserFile(json: item.resource.desired)
      let account = try LiveAccount(json: item.live.state)
      let planner = UserPlanner(host: request.host.name, missingGroups: account.missingGroups)
      // The account infra logs in as is not deleted from under it.
      if file.absent, account.user != nil, case .ssh(let user?, _, _) = request.host.connection,
        user == file.name
      {
        response.problems.append(
          ResourceProblem(
            address: item.resource.address,
            message:
              "infra connects to \(request.host.name) as \(user): deleting that account would cut it off; connect as another user first"
          ))
        continue
      }
      do {
        let (op, problem) = try planner.plan(file, account.user, address: item.resource.address)
        if let op { response.ops.append(op) }
        if let problem { response.problems.append(problem) }
      } catch {
        response.problems.append(
          ResourceProblem(address: item.resource.address, message: error.message))
      }
    }
    return response
  }

  func apply(_ request: ApplyRequest) async -> ApplyResponse {
    await CommandSteps.apply(
      request,
      request.ops.map { planned in
        guard let op = try? UserOp(json: planned.payload) else {
          return (planned, .failure(.init(reason: "its payload could not be read")))
        }
        return (planned, .success(Self.command(op)))
      })
  }

  /// The programs in order, then the keys: written by the user itself (`runuser`), so that
  /// nothing it could have linked in its home is followed as root, into a temporary file in
  /// `~/.ssh` that is synced and renamed over `authorized_keys`.
  static func command(_ op: UserOp) -> String {
    var steps = op.commands.map { ShellCommand(words: $0).string }
    if let keys = op.keys {
      let write =
        #"umask 077; d="$1/.ssh"; if [ -L "$d" ]; then echo "$d is a symbolic link" >&2; exit 1; fi; mkdir -p -- "$d" && chmod 700 -- "$d" && t=$(mktemp "$d/.infra-tmp-XXXXXX") && printf %s "$2" | base64 -d >"$t" && chmod 600 -- "$t" && sync "$t" && mv -f -- "$t" "$d/authorized_keys" && sync "$d""#
      steps.append(
        "h=$(getent passwd \(shellQuote(op.user)) | cut -d: -f6) && [ -n \"$h\" ] && "
          + ShellCommand("runuser", "-u", op.user, "--", "sh", "-c", write, "sh").string
          + " \"$h\" " + shellQuote(Data(keys.utf8).base64EncodedString()))
    }
    return steps.joined(separator: " && ")
  }

  func list(_ request: ListRequest) async throws -> ListResponse {
    try await UsersImporter(targets: targets, host: request.host.name)
      .list(request.paths, through: request.transport)
  }
}
