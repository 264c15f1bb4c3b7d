import Foundation
import InfraCore
import InfraEngine

/// Decides, package by package, what each packages file needs on a host: install, upgrade,
/// downgrade or remove, with the versions the plan shows and the apply installs exactly.
struct PackagesPlanner {
  var host: String

  struct Problem: Error { var message: String }

  /// The actions for one file's packages, given what the host has.
  func actions(_ desired: DesiredPackages, _ live: [String: LivePackage]) throws(Problem)
    -> [PackageAction]
  {
    var actions: [PackageAction] = []
    var problems: [String] = []
    for entry in desired.packages {
      let package = live[entry.name] ?? LivePackage(name: entry.name)
      do throws(Problem) {
        guard var action = try action(entry, package, desired) else { continue }
        if package.held, desired.allowHeld, action.kind != .remove { action.keepHeld = true }
        if package.held, !desired.allowHeld {
          throw Problem(
            message:
              "\(entry.name) is held on \(host) (apt-mark hold), so infra will not \(action.kind.rawValue) it; set `allow_held: true` in the file, or `apt-mark unhold \(entry.name)` there"
          )
        }
        actions.append(action)
      } catch {
        problems.append(error.message)
      }
    }
    guard problems.isEmpty else { throw Problem(message: problems.joined(separator: "; ")) }
    return actions
  }

  private func action(_ entry: PackageEntry, _ package: LivePackage, _ desired: DesiredPackages)
    throws(Problem) -> PackageAction?
  {
    let name = entry.name
    let installed = package.installed
    switch entry.want {
    case .absent:
      return installed.map { PackageAction(kind: .remove, name: name, from: $0, to: nil) }
    case .present where installed != nil:
      return nil
    case .present, .latest:
      guard let candidate = package.candidate else {
        if installed != nil { return nil }
        throw Problem(message: notOffered(name))
      }
      guard let installed else {
        return PackageAction(kind: .install, name: name, from: nil, to: candidate)
      }
      return DebianVersion(candidate) > DebianVersion(installed)
        ? PackageAction(kind: .upgrade, name: name, from: installed, to: candidate) : nil
    case .version(let wanted):
      if let installed, DebianVersion(installed) == DebianVersion(wanted) { return nil }
      guard
        let offered = package.offered.first(where: { DebianVersion($0) == DebianVersion(wanted) })
      else {
        let offered = package.offered.isEmpty ? "none" : package.offered.joined(separator: ", ")
        throw Problem(
          message:
            package.offered.isEmpty && package.candidate == nil
            ? notOffered(name)
            : "no source on \(host) offers version \(wanted) of \(name) (offered: \(offered))")
      }
      guard let installed else {
        return PackageAction(kind: .install, name: name, from: nil, to: offered)
      }
      if DebianVersion(offered) < DebianVersion(installed) {
        guard desired.allowDowngrade else {
          throw Problem(
            message:
              "\(name) \(installed) is installed on \(host), and \(wanted) would be a downgrade; set `allow_downgrade: true` in the file to allow it"
          )
        }
        return PackageAction(kind: .downgrade, name: name, from: installed, to: offered)
      }
      return PackageAction(kind: .upgrade, name: name, from: installed, to: offered)
    }
  }

  private func notOffered(_ name: String) -> String {
    "no source on \(host) offers package \(name): check its name, and the host's apt sources (with `update_cache: true` the plan refreshes them)"
  }

  /// The op for one file's actions.
  func op(_ actions: [PackageAction], _ desired: DesiredPackages, address: Address, removed: Bool)
    -> PlannedOp
  {
    var op = PackagesOp(actions: actions)
    op.allowDowngrade = desired.allowDowngrade
    op.allowHeld = desired.allowHeld
    op.startServices = desired.startServices
    let kinds = Set(actions.map(\.kind))
    let action: Action =
      removed || kinds == [.remove] ? .delete : kinds == [.install] ? .create : .update
    let message =
      actions.count <= 3
      ? actions.map(\.shown).joined(separator: ", ")
      : Self.counted(actions) + " packages"
    var details = actions.count > 3 ? actions.map(\.shown) : []
    if !actions.isEmpty, !desired.startServices, kinds.contains(.install) {
      details.append(
        "services the packages bring are not started (`start_services: true` starts them)")
    }
    return PlannedOp(
      address: address, action: action, message: message, details: details, payload: op.json,
      touches: actions.map { "package:\($0.name)" })
  }

  static func counted(_ actions: [PackageAction]) -> String {
    PackageAction.Kind.allKinds.compactMap { kind in
      let count = actions.count { $0.kind == kind }
      return count == 0 ? nil : "\(kind.rawValue) \(count)"
    }.joined(separator: ", ")
  }
}

extension PackageAction.Kind {
  static let allKinds: [Self] = [.install, .upgrade, .downgrade, .reinstall, .remove]
}
