import Foundation
import InfraCore
import InfraEngine
import InfraTransport

/// What a host has of one user, as the plan compares it.
struct LiveUser: Hashable, Codable {
  var uid: Int
  /// The primary group's name (its gid when it has none).
  var group: String
  var gid: Int
  var groups: [String]
  var comment: String
  var home: String
  var shell: String
  /// `nil` when shadow could not be read.
  var locked: Bool?
  /// It has no password to unlock (`!`, `*` or nothing in shadow): `usermod -U` changes nothing.
  var passwordless: Bool?
  /// `nil` when keys are not managed.
  var keys: HostAccounts.Keys?

  init(_ user: HostAccounts.User, in accounts: HostAccounts, keys managed: Bool) {
    uid = user.uid
    gid = user.gid
    group = accounts.group(gid: user.gid)?.name ?? String(user.gid)
    groups = accounts.supplementaryGroups(of: user.name)
    comment = user.comment
    home = user.home
    shell = user.shell
    locked = accounts.isLocked(user.name)
    passwordless = accounts.passwords[user.name].map {
      ["", "*", "!", "!*", "*!", "!!"].contains($0)
    }
    keys = managed ? accounts.keys[user.name] ?? HostAccounts.Keys(folder: "", file: "") : nil
  }
}

/// A user as read, and the groups its file names that the host does not have; `null` as JSON
/// when there is neither.
struct LiveAccount: Hashable, Codable {
  var user: LiveUser?
  var missingGroups: [String] = []

  var json: JSONValue {
    user == nil && missingGroups.isEmpty ? .null : (try? JSONValue(encoding: self)) ?? .null
  }
  init(user: LiveUser?, missingGroups: [String]) {
    self.user = user
    self.missingGroups = missingGroups
  }
  init(json: JSONValue) throws {
    self =
      json == .null
      ? LiveAccount(user: nil, missingGroups: []) : try json.decode(as: LiveAccount.self)
  }
}

/// What apply runs for one user op: programs with their arguments, then the keys to write.
struct UserOp: Hashable, Codable {
  var user: String
  var commands: [[String]]
  /// `authorized_keys`' whole content, written as the user.
  var keys: String?

  var json: JSONValue { (try? JSONValue(encoding: self)) ?? .null }
  init(user: String, commands: [[String]], keys: String?) {
    self.user = user
    self.commands = commands
    self.keys = keys
  }
  init(json: JSONValue) throws { self = try json.decode(as: UserOp.self) }
}

/// Compares each user file with the account: `useradd`, one `usermod` with every difference,
/// or `userdel`; `authorized_keys` when its content, mode or owner differ.
struct UserPlanner {
  var host: String
  /// The groups the file names that the host does not have (yet).
  var missingGroups: [String]

  struct Problem: Error { var message: String }

  func plan(_ file: UserFile, _ live: LiveUser?, address: Address) throws(Problem) -> (
    PlannedOp?, ResourceProblem?
  ) {
    var commands: [[String]] = []
    var details: [String] = []
    var action = Action.update
    var message: String
    if file.absent {
      guard live != nil else { return (nil, nil) }
      commands.append(["userdel"] + (file.removeHome ? ["-r"] : []) + ["--", file.name])
      message =
        "delete user \(file.name)" + (file.removeHome ? " and its home" : " (its home is kept)")
      action = .delete
    } else if let live {
      let flags = try changes(file, live, details: &details)
      if !flags.isEmpty { commands.append(["usermod"] + flags + ["--", file.name]) }
      message = "update user \(file.name)"
    } else {
      var add = ["useradd"]
      if let uid = file.uid { add += ["-u", String(uid)] }
      if let group = file.group { add += ["-g", group] }
      if let groups = file.groups, !groups.isEmpty { add += ["-G", groups.joined(separator: ",")] }
      if let shell = file.shell { add += ["-s", shell] }
      if let home = file.home { add += ["-d", home] }
      add.append(file.createHome ?? true ? "-m" : "-M")
      if let comment = file.comment { add += ["-c", comment] }
      if file.system { add.append("-r") }
      commands.append(add + ["--", file.name])
      if file.locked == true { commands.append(["usermod", "-L", "--", file.name]) }
      if file.locked == false {
        throw Problem(
          message:
            "user \(file.name) would be created without a password, which cannot be unlocked; leave out `locked:` or set it true"
        )
      }
      message = "create user \(file.name)"
      action = .create
      details.append(
        "runs: " + commands.map { ShellCommand(words: $0).string }.joined(separator: "; "))
    }
    var keys: String?
    if !file.absent, let wanted = file.keysContent,
      live?.keys.map({ !Self.keysMatch($0, wanted, file.name) }) ?? true
    {
      keys = wanted
      details.append(keysDetail(wanted, live?.keys))
    }
    guard !commands.isEmpty || keys != nil else { return (nil, nil) }
    if action == .update, !commands.isEmpty {
      details.append(
        "runs: " + commands.map { ShellCommand(words: $0).string }.joined(separator: "; "))
    }
    let op = PlannedOp(
      address: address, action: action, message: message, details: details,
      payload: UserOp(user: file.name, commands: commands, keys: keys).json,
      // useradd makes the user's own group when it is given none (Debian's USERGROUPS_ENAB).
      touches: ["user:\(file.name)"]
        + (live == nil && !file.absent && file.group == nil ? ["group:\(file.name)"] : []))
    let missing = missingGroups
    guard !missing.isEmpty, !file.absent else { return (op, nil) }
    let names = missing.map { "'\($0)'" }.joined(separator: ", ")
    return (
      op,
      ResourceProblem(
        address: address,
        message:
          "user \(file.name) names the group\(missing.count > 1 ? "s" : "") \(names), which \(host) does not have; create \(missing.count > 1 ? "them" : "it") first (a groups resource does, in the same apply), or change the file",
        unless: missing.map { "group:\($0)" },
        resolution: "its groups \(names) are created by an earlier change of this apply")
    )
  }

  /// usermod's flags for what differs, each difference shown.
  private func changes(_ file: UserFile, _ live: LiveUser, details: inout [String]) throws(Problem)
    -> [String]
  {
    var flags: [String] = []
    func differ(_ key: String, _ old: String, _ new: String, _ flag: String) {
      details.append("\(key): \(old.isEmpty ? "(none)" : old) → \(new.isEmpty ? "(none)" : new)")
      flags += [flag, new]
    }
    if let uid = file.uid, uid != live.uid { differ("uid", String(live.uid), String(uid), "-u") }
    if let group = file.group, group != live.group, group != String(live.gid) {
      differ("group", live.group, group, "-g")
    }
    if let groups = file.groups {
      let wanted = Set(groups)
      let have = Set(live.groups)
      if file.append, !wanted.isSubset(of: have) {
        let added = wanted.subtracting(have).sorted()
        details.append("groups: + \(added.joined(separator: ", ")) (appended)")
        flags += ["-a", "-G", added.joined(separator: ",")]
      } else if !file.append, wanted != have {
        differ(
          "groups", live.groups.joined(separator: ", "), groups.sorted().joined(separator: ", "),
          "-G")
        flags[flags.count - 1] = groups.joined(separator: ",")
      }
    }
    if let shell = file.shell, shell != live.shell { differ("shell", live.shell, shell, "-s") }
    if let home = file.home, home != live.home { differ("home", live.home, home, "-d") }
    if let comment = file.comment, comment != live.comment {
      differ("comment", live.comment, comment, "-c")
    }
    if let locked = file.locked {
      guard let isLocked = live.locked else {
        throw Problem(
          message:
            "cannot tell whether \(file.name) is locked on \(host): /etc/shadow is not readable by the connecting user (set `sudo: true` on the host)"
        )
      }
      if !locked, isLocked, live.passwordless == true {
        throw Problem(
          message:
            "\(file.name) on \(host) has no password, so it cannot be unlocked (`locked: false`); set a password there first, or leave out `locked:`"
        )
      }
      if locked != isLocked {
        details.append("locked: \(isLocked) → \(locked)")
        flags.append(locked ? "-L" : "-U")
      }
    }
    return flags
  }

  static func keysMatch(_ live: HostAccounts.Keys, _ wanted: String, _ user: String) -> Bool {
    live.content == wanted && live.file.hasPrefix("600:\(user):")
      && live.folder.hasPrefix("700:\(user):")
  }

  private func keysDetail(_ wanted: String, _ live: HostAccounts.Keys?) -> String {
    let count = { (text: String) in text.split(separator: "\n").count }
    guard let live, let content = live.content else {
      return "authorized_keys: new, \(count(wanted)) key\(count(wanted) == 1 ? "" : "s"), mode 0600"
    }
    if content == wanted {
      return "authorized_keys: mode and owner set to 0600 and the user (~/.ssh 0700)"
    }
    let old = Set(content.split(separator: "\n"))
    let new = Set(wanted.split(separator: "\n"))
    return "authorized_keys: +\(new.subtracting(old).count) −\(old.subtracting(new).count) keys"
  }
}
