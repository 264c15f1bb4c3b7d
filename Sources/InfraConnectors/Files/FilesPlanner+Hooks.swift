import Foundation
import InfraEngine

/// What the plan adds to a host's ops for `validate:` and `on_change:`: the check each write
/// goes through, and the commands run once the host's changes were applied (Ansible's
/// handlers), carried by the host's last op so that they run after every change.
extension FilesPlanner {
  /// The commands changes asked for, in the order changes first named them, with the paths
  /// that asked.
  struct Hooks {
    private(set) var commands: [(command: String, paths: [String])] = []

    mutating func note(_ desired: DesiredFile) {
      for command in desired.onChange ?? [] {
        if let index = commands.firstIndex(where: { $0.command == command }) {
          commands[index].paths.append(desired.path)
        } else {
          commands.append((command, [desired.path]))
        }
      }
    }

    /// `ops` with the commands on the last one, which the applier runs after it.
    func attach(to ops: inout [PlannedOp]) {
      guard !commands.isEmpty, var last = ops.last, var op = try? FileOp(json: last.payload)
      else { return }
      op.then = commands.map(\.command)
      last.payload = op.json
      for (command, paths) in commands {
        let more = paths.count > 1 ? " and \(paths.count - 1) more" : ""
        last.details.append("then: \(command) (after changes to \(paths[0])\(more))")
      }
      ops[ops.count - 1] = last
    }
  }

  /// `planned` with `desired`'s check and backup on it, when it writes content (a backup only
  /// when there is a file to keep).
  static func checked(_ planned: PlannedOp, _ desired: DesiredFile, live: LiveFile?) -> PlannedOp {
    guard desired.validate != nil || desired.backup == true,
      var op = try? FileOp(json: planned.payload), op.kind == .write
    else { return planned }
    var planned = planned
    if let validate = desired.validate {
      op.validate = validate
      planned.details.append("checked with `\(validate)` before it replaces the file")
    }
    if desired.backup == true, live?.kind == .file {
      op.backup = true
      planned.details.append("keeps the file it replaces as \(desired.path).<UTC time>~")
    }
    planned.payload = op.json
    return planned
  }
}

extension FilesPlanner {
  /// Fails a file the apply could not put in place: a file stands where one of its folders
  /// should be. Returns the problem of an owner or group the host does not have, which
  /// another change of the same apply may create (`user:NAME`, `group:NAME`).
  func checkPlace(_ desired: DesiredFile, _ found: HostFindings.Findings) throws -> Problem? {
    if !found.blockedByFile.isEmpty, let file = found.blockedByFile[Self.folder(of: desired.path)] {
      throw Problem(
        message:
          "cannot create \(desired.path) on \(host.name): \(file) is a file where a folder should be; remove or rename it first"
      )
    }
    var missing: [(kind: String, name: String)] = []
    if let owner = desired.owner, found.missingUsers.contains(owner) {
      missing.append(("user", owner))
    }
    if let group = desired.group, found.missingGroups.contains(group) {
      missing.append(("group", group))
    }
    guard !missing.isEmpty else { return nil }
    let messages = missing.map { kind, name in
      kind == "user"
        ? "there is no user '\(name)' on \(host.name) to own \(desired.path); create the user first (a users resource does, in the same apply), or change `owner:`"
        : "there is no group '\(name)' on \(host.name) for \(desired.path); create the group first (a groups resource does, in the same apply), or change `group:`"
    }
    return Problem(
      message: messages.joined(separator: "; and "),
      unless: missing.map { "\($0.kind):\($0.name)" },
      resolution: missing.map {
        "its \($0.kind) \($0.name) is created by an earlier change of this apply"
      }
      .joined(separator: "; "))
  }
}

extension FilesPlanner {
  /// The folder `path` is in: `/etc` for `/etc/motd`, `/` for `/motd`.
  static func folder(of path: String) -> String {
    guard let slash = path.lastIndex(of: "/"), slash > path.startIndex else { return "/" }
    return String(path[..<slash])
  }

  static func describe(strays: [String]) -> String {
    let names = strays.prefix(3).map { $0.split(separator: "/").last.map(String.init) ?? $0 }
    let more = strays.count > 3 ? ", …" : ""
    let count = strays.count == 1 ? "1 temporary file" : "\(strays.count) temporary files"
    return
      "also removes \(count) that a killed run left in \(folder(of: strays[0])): \(names.joined(separator: ", "))\(more)"
  }

  /// `(+3 −1)`, counted from a unified diff's body.
  func lineCounts(_ diff: String) -> String {
    var (seen, added, removed) = (0, 0, 0)
    // The two header lines are not lines of the file, but a removed line `-- x` shows as
    // `--- x` and counts.
    UnifiedDiff.forEachLine(ofDiff: diff) { line in
      seen += 1
      guard seen > 2 else { return }
      switch line.first {
      case UInt8(ascii: "+"): added += 1
      case UInt8(ascii: "-"): removed += 1
      default: break
      }
    }
    return "(+\(added) −\(removed))"
  }
}
