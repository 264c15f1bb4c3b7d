import Foundation
import InfraCore

/// What a packages file wants of one package.
enum PackageWant: Hashable, Codable, CustomStringConvertible {
  /// Installed, any version (the candidate when it is not).
  case present
  /// Installed at the version apt would install now (its candidate).
  case latest
  /// Installed at exactly this version.
  case version(String)
  case absent

  var description: String {
    switch self {
    case .present: "installed"
    case .latest: "latest"
    case .version(let version): version
    case .absent: "absent"
    }
  }
}

/// One package of a packages file, with where it is written.
struct PackageEntry: Hashable, Codable {
  var name: String
  var want: PackageWant
}

/// The desired state of one packages file on one host: the packages it decides for that host
/// (a host's own file wins over its groups'), and what it allows.
struct DesiredPackages: Hashable, Codable {
  var packages: [PackageEntry] = []
  /// A pinned version lower than the installed one may be installed.
  var allowDowngrade = false
  /// Held packages (`apt-mark hold`) may be changed.
  var allowHeld = false
  /// Services the packages bring are started by their install, as Debian does by default.
  var startServices = false

  var json: JSONValue { (try? JSONValue(encoding: self)) ?? .null }
  init() {}
  init(json: JSONValue) throws { self = try json.decode(as: DesiredPackages.self) }
}

/// What a host has of one package, and what its sources offer.
struct LivePackage: Hashable, Codable {
  var name: String
  /// The installed version; `nil` when not installed (config files left count as not).
  var installed: String?
  /// Held with `apt-mark hold`.
  var held = false
  /// The version apt would install now; `nil` when no source offers one.
  var candidate: String?
  /// Versions a source offers (not only the installed one, which dpkg's status lists).
  var offered: [String] = []
}

/// One planned package action, as the plan shows it and the apply carries it out.
struct PackageAction: Hashable, Codable {
  enum Kind: String, Codable {
    case install, upgrade, downgrade, reinstall, remove
  }

  var kind: Kind
  var name: String
  /// The version installed now, if any.
  var from: String?
  /// The version installed by the action; `nil` for a removal.
  var to: String?
  /// The package is held, and the file allows changing it: apt lifts the hold as it changes
  /// the package, so it is held again afterwards.
  var keepHeld: Bool?

  /// What `apt-get install` is given: `name=version`, or `name-` to remove.
  var argument: String {
    to.map { "\(name)=\($0)" } ?? "\(name)-"
  }

  var shown: String {
    let held = keepHeld == true ? " (held: held again after the change)" : ""
    return change + held
  }

  private var change: String {
    switch kind {
    case .install: "install \(name) \(to ?? "")"
    case .upgrade: "upgrade \(name) \(from ?? "") → \(to ?? "")"
    case .downgrade: "downgrade \(name) \(from ?? "") → \(to ?? "")"
    case .reinstall: "reinstall \(name) \(to ?? "")"
    case .remove: "remove \(name) \(from ?? "")"
    }
  }
}

/// What `apply` needs for one packages op: the actions, and what they allow.
struct PackagesOp: Hashable, Codable {
  var actions: [PackageAction]
  var allowDowngrade = false
  var allowHeld = false
  var startServices = false

  var json: JSONValue { (try? JSONValue(encoding: self)) ?? .null }
  init(actions: [PackageAction]) { self.actions = actions }
  init(json: JSONValue) throws { self = try json.decode(as: PackagesOp.self) }
}

enum PackageNames {
  /// Whether `name` is a Debian package name (`[a-z0-9][a-z0-9+.-]+`), with an optional
  /// `:architecture`: never an option or anything a shell would read.
  static func isValid(_ name: String) -> Bool {
    let parts = name.split(separator: ":", omittingEmptySubsequences: false)
    guard parts.count <= 2, let base = parts.first, base.count >= 2, base.count <= 128,
      let first = base.unicodeScalars.first, isLowerOrDigit(first)
    else { return false }
    guard
      base.unicodeScalars.allSatisfy({ isLowerOrDigit($0) || "+.-".unicodeScalars.contains($0) })
    else { return false }
    guard parts.count == 2 else { return true }
    let arch = parts[1]
    return !arch.isEmpty && arch.unicodeScalars.allSatisfy { isLowerOrDigit($0) || $0 == "-" }
  }

  private static func isLowerOrDigit(_ c: Unicode.Scalar) -> Bool {
    ("a"..."z").contains(c) || ("0"..."9").contains(c)
  }
}
