import Foundation
import InfraCore
import InfraEngine
import InfraTransport

/// The builtin `packages` connector for Debian and Ubuntu: packages installed (any version,
/// pinned, or latest) or absent, read with dpkg and apt in one command per host, changed with
/// one `apt-get install` per host.
package struct PackagesConnectorType: ConnectorType {
  package init() {}

  package var info: ConnectorTypeInfo {
    ConnectorTypeInfo(
      type: "packages",
      summary:
        "Debian and Ubuntu packages: installed (any version, a pinned one, or latest) or absent; read in one command per host, changed in one apt-get call.",
      layout: PackagesLoader.layout,
      options: [
        OptionSpec(
          "update_cache", .boolean, default: .bool(false),
          "refresh the package lists (apt-get update) when the plan reads, if older than cache_valid_time"
        ),
        OptionSpec(
          "cache_valid_time", .integer, default: .int(3600),
          "seconds the package lists stay fresh for update_cache (0: refresh on every read)"),
        OptionSpec(
          "lock_timeout", .integer, default: .int(120),
          "seconds apt-get waits for another package manager's lock before it gives up"),
        OptionSpec(
          "install_recommends", .boolean,
          "install recommended packages too (true) or not (false); apt's own setting when unset"),
        OptionSpec(
          "purge", .boolean, default: .bool(false),
          "remove absent packages' configuration files too (apt-get --purge)"),
      ])
  }

  package func make(_ context: ConnectorContext) throws -> any Connector {
    let options = context.options
    for key in ["cache_valid_time", "lock_timeout"] {
      if let option = options[key], let value = option.value.intValue, value < 0 {
        throw Diagnostic.error(
          "option '\(key)' of connector '\(context.name)' must be 0 or more seconds, not \(value)",
          at: option.location)
      }
    }
    return PackagesConnector(
      targets: HostTargets(context),
      options: PackagesConnector.Options(
        refreshAfter: options["update_cache"]?.value == .bool(true)
          ? options["cache_valid_time"]?.value.intValue ?? 3600 : nil,
        lockTimeout: options["lock_timeout"]?.value.intValue ?? 120,
        installRecommends: options["install_recommends"]?.value.boolValue,
        purge: options["purge"]?.value == .bool(true)))
  }
}

struct PackagesConnector: Connector {
  struct Options: Sendable {
    var refreshAfter: Int?
    var lockTimeout = 120
    var installRecommends: Bool?
    var purge = false
  }

  let targets: HostTargets
  let options: Options

  func load(_ request: LoadRequest) async -> LoadResponse {
    PackagesLoader(targets: targets).load(request)
  }

  func read(_ request: ReadRequest) async throws -> ReadResponse {
    let desired = try request.resources.map { try DesiredPackages(json: $0.desired) }
    var names: [String] = []
    for name in desired.flatMap({ $0.packages.map(\.name) }) where !names.contains(name) {
      names.append(name)
    }
    let live = try await PackagesReader(refreshAfter: options.refreshAfter)
      .read(names, through: request.transport)
    var states: [Address: LiveState] = [:]
    for (resource, wanted) in zip(request.resources, desired) {
      let packages = wanted.packages.compactMap { live.packages[$0.name] }
      let state = (try? JSONValue(encoding: packages)) ?? .null
      states[resource.address] = LiveState(state: state, fingerprint: state.fingerprint)
    }
    return ReadResponse(states: states)
  }

  func plan(_ request: PlanRequest) async throws -> PlanResponse {
    let planner = PackagesPlanner(host: request.host.name)
    var response = PlanResponse()
    var planned: [(op: PlannedOp, payload: PackagesOp)] = []
    var wanted: [String: String] = [:]
    for item in request.items {
      let desired = try DesiredPackages(json: item.resource.desired)
      let packages = try item.live.state.decode(as: [LivePackage].self)
      for entry in desired.packages where entry.want != .absent {
        wanted[entry.name] = item.resource.sources.first ?? ""
      }
      do {
        let actions = try planner.actions(
          desired, Dictionary(packages.map { ($0.name, $0) }) { a, _ in a })
        guard !actions.isEmpty else { continue }
        let op = planner.op(
          actions, desired, address: item.resource.address, removed: item.resource.removed)
        planned.append((op, try PackagesOp(json: op.payload)))
      } catch let problem as PackagesPlanner.Problem {
        response.problems.append(
          ResourceProblem(address: item.resource.address, message: problem.message))
      }
    }
    guard !planned.isEmpty else { return response }
    // What apt would do besides, asked of the host itself.
    let install = AptInstall(planned.map(\.payload), options: options)
    switch try await install.simulate(through: request.transport) {
    case .failure(let failed):
      for (op, _) in planned {
        response.problems.append(
          ResourceProblem(
            address: op.address,
            message: "apt-get on \(request.host.name) refuses these changes: \(failed.output)"))
      }
    case .success(let simulated):
      let named = Set(planned.flatMap { $0.payload.actions.map(\.name) })
      let conflicts = simulated.removals.filter {
        wanted[$0.name] != nil && !named.contains($0.name)
      }
      if !conflicts.isEmpty {
        let described = conflicts.map { "\($0.name) (installed by \(wanted[$0.name]!))" }
        for (op, _) in planned {
          response.problems.append(
            ResourceProblem(
              address: op.address,
              message:
                "apt-get on \(request.host.name) would also remove \(described.joined(separator: ", ")), which depend\(conflicts.count == 1 ? "s" : "") on what these changes remove; remove \(conflicts.count == 1 ? "it" : "them") too, or keep what they need"
            ))
        }
        return response
      }
      var ops = planned.map(\.op)
      let extras =
        simulated.installs.filter { !named.contains($0.name) }.map {
          "also installs \($0.name) \($0.version) (a dependency)"
        }
        + simulated.removals.filter { !named.contains($0.name) }.map {
          "also removes \($0.name) \($0.version)"
        }
      ops[0].details += extras
      response.ops = ops
    }
    return response
  }

  func apply(_ request: ApplyRequest) async -> ApplyResponse {
    var payloads: [PackagesOp] = []
    for op in request.ops {
      guard let payload = try? PackagesOp(json: op.payload) else {
        let outcome = OpOutcome(
          address: op.address, status: .failed("its payload could not be read"))
        request.onOutcome(outcome)
        return ApplyResponse(outcomes: [outcome])
      }
      payloads.append(payload)
    }
    guard !payloads.isEmpty, !request.shouldStop() else { return ApplyResponse(outcomes: []) }
    for op in request.ops { request.onStart(op.address) }
    let install = AptInstall(payloads, options: options)
    let step: CommandSteps.Outcome
    do {
      step = try await CommandSteps.run([install.command], through: request.transport).outcomes[0]
    } catch {
      return .failed(request.ops[0].address, by: error, report: request.onOutcome)
    }
    let status: OpOutcome.Status
    switch step {
    case .succeeded: status = .applied
    case .failed(let code, let output):
      // One apt-get call carried every op of the host: it failed for each of them.
      status = .failed("apt-get install failed (exit \(code)): \(output)")
    case .notRun: status = .failed("apt-get install did not report how it ended")
    }
    let outcomes = request.ops.map { OpOutcome(address: $0.address, status: status) }
    for outcome in outcomes { request.onOutcome(outcome) }
    return ApplyResponse(outcomes: outcomes)
  }

  func list(_ request: ListRequest) async throws -> ListResponse {
    let result = try await request.transport.run(
      ShellScript([AptInstall.environment, "apt-mark showmanual"]))
    try result.check(ShellScript.interpreter, on: request.host.name)
    var names = result.stdoutText.split(separator: "\n").map(String.init).filter(
      PackageNames.isValid)
    if !request.paths.isEmpty { names = names.filter(request.paths.contains) }
    var response = ListResponse()
    guard !names.isEmpty else { return response }
    let address = Address(
      prefix: targets.prefix, segments: [targets.connector, request.host.name + ".yaml"])
    let text =
      "# the packages installed by hand on \(request.host.name) when imported\ninstall:\n"
      + names.sorted().map { "  - \($0)\n" }.joined()
    response.files.append((address, Data(text.utf8)))
    return response
  }
}
