import Foundation
import InfraCore
import InfraEngine

/// What apply does to one unit: the actions in order.
struct ServiceOp: Hashable, Codable {
  var unit: String
  var script: String
  var manager: LiveService.Manager
  /// `daemon-reload`, `enable`, `disable`, `start`, `stop`, `reload`, `restart`.
  var actions: [String]

  var json: JSONValue { (try? JSONValue(encoding: self)) ?? .null }
  init(unit: String, script: String, manager: LiveService.Manager, actions: [String]) {
    self.unit = unit
    self.script = script
    self.manager = manager
    self.actions = actions
  }
  init(json: JSONValue) throws { self = try json.decode(as: ServiceOp.self) }
}

/// Compares each unit with its file: enable or disable, start or stop, and the reload or
/// restart its `reload_on:` and `restart_on:` call for when other changes of the host touch
/// what they name.
struct ServicePlanner {
  var host: String
  /// infra reaches the host over SSH: its sshd is not stopped or disabled from under it.
  var overSSH = false

  struct Problem: Error {
    var message: String
  }

  func plan(_ items: [PlanItem]) -> PlanResponse {
    var response = PlanResponse()
    for item in items {
      guard let desired = try? ServiceFile(json: item.resource.desired),
        let live = try? item.live.state.decode(as: LiveService.self)
      else {
        response.problems.append(
          ResourceProblem(address: item.resource.address, message: "its state could not be read"))
        continue
      }
      do {
        let actions = try actions(desired, live)
        let address = item.resource.address
        if !actions.isEmpty {
          response.ops.append(
            op(address, desired, live, actions, action: item.resource.removed ? .delete : .update))
        }
        for (watches, kind) in [(desired.reloadOn, "reload"), (desired.restartOn, "restart")]
        where !watches.isEmpty {
          if let triggered = triggeredActions(desired, live, actions, kind) {
            response.triggered.append(
              TriggeredOp(
                op: op(address, desired, live, triggered, action: .update), watches: watches))
          }
        }
      } catch {
        response.problems.append(
          ResourceProblem(address: item.resource.address, message: error.message))
      }
    }
    return response
  }

  func actions(_ desired: ServiceFile, _ live: LiveService) throws(Problem) -> [String] {
    var actions: [String] = []
    if let enabled = desired.enabled, enabled != live.isEnabled, live.exists || enabled {
      if live.exists, live.cannotEnable, enabled {
        throw Problem(message: cannotEnable(desired.name, live.unitFileState))
      }
      if !(live.exists && live.cannotEnable) { actions.append(enabled ? "enable" : "disable") }
    }
    switch desired.state {
    case .running where !live.running:
      if live.exists, live.unitFileState.hasPrefix("masked") {
        throw Problem(
          message:
            "cannot start \(desired.name) on \(host): it is masked; unmask it (systemctl unmask \(desired.name)) or leave out `state:`"
        )
      }
      actions.append("start")
    case .stopped where live.running: actions.append("stop")
    default: break
    }
    if overSSH, ["ssh.service", "sshd.service", "ssh", "sshd"].contains(desired.name),
      actions.contains("stop") || actions.contains("disable")
    {
      throw Problem(
        message:
          "infra reaches \(host) through \(desired.name): stopping or disabling it would cut infra off; do it by hand if you mean it"
      )
    }
    if !actions.isEmpty, live.needsDaemonReload { actions.insert("daemon-reload", at: 0) }
    return actions
  }

  /// The actions when other changes trigger `kind`: nothing for a unit that will not run;
  /// a unit that is to be started is started after those changes, which it then reads;
  /// a running one is reloaded or restarted after its own changes.
  private func triggeredActions(
    _ desired: ServiceFile, _ live: LiveService, _ actions: [String], _ kind: String
  ) -> [String]? {
    let willRun = desired.state == .running || (desired.state == nil && live.running)
    guard willRun else { return nil }
    var triggered = actions.contains("start") ? actions : actions + [kind]
    let unitFiles = ["/etc/systemd/", "/lib/systemd/", "/usr/lib/systemd/", "/run/systemd/"]
    let watches = kind == "reload" ? desired.reloadOn : desired.restartOn
    if live.manager == .systemd, !triggered.contains("daemon-reload"),
      watches.contains(where: { watch in unitFiles.contains { watch.hasPrefix($0) } })
    {
      triggered.insert("daemon-reload", at: 0)
    }
    return triggered
  }

  private func op(
    _ address: Address, _ desired: ServiceFile, _ live: LiveService, _ actions: [String],
    action: Action
  ) -> PlannedOp {
    let shown = actions.filter { $0 != "daemon-reload" }
    var words =
      shown.count > 1
      ? shown.dropLast().joined(separator: ", ") + " and " + shown.last! : shown.joined()
    if words.isEmpty { words = "reload the unit files of" }
    let name = live.manager == .systemd ? desired.name : desired.script
    var details: [String] = []
    if actions.contains("daemon-reload") {
      details.append("systemctl daemon-reload first: unit files changed")
    }
    if !live.exists {
      details.append(
        "\(name) is not on \(host) now: an earlier change of this apply must bring it (its package or unit file)"
      )
    } else {
      if actions.contains("enable") || actions.contains("disable") {
        details.append(
          "enabled: \(live.unitFileState.isEmpty ? "no" : live.unitFileState) → \(desired.enabled == true ? "enabled" : "disabled")"
        )
      }
      if actions.contains("start") || actions.contains("stop") {
        details.append(
          "state: \(live.running ? "running" : "stopped") → \(actions.contains("start") ? "running" : "stopped")"
        )
      }
    }
    let payload = ServiceOp(
      unit: desired.name, script: desired.script, manager: live.manager, actions: actions)
    return PlannedOp(
      address: address, action: action, message: "\(words) \(name)", details: details,
      payload: payload.json)
  }

  private func cannotEnable(_ unit: String, _ state: String) -> String {
    switch state {
    case "masked", "masked-runtime":
      "cannot enable \(unit) on \(host): it is masked; unmask it (systemctl unmask \(unit)) or leave out `enabled:`"
    default:
      "cannot enable \(unit) on \(host): its unit file is \(state) (it has no [Install] section to enable it by); leave out `enabled:` and let what wants it start it"
    }
  }
}
