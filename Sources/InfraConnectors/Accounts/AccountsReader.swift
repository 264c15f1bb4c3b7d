import Foundation
import InfraCore
import InfraTransport

/// A host's accounts as `getent` gives them, with the login.defs ranges and, for the users
/// named, their `~/.ssh/authorized_keys`: all read in one command.
struct HostAccounts: Hashable {
  struct User: Hashable {
    var name: String
    var uid: Int
    var gid: Int
    var comment: String
    var home: String
    var shell: String
  }

  struct Group: Hashable {
    var name: String
    var gid: Int
    var members: [String]
  }

  /// What a user's `~/.ssh` and `authorized_keys` are now.
  struct Keys: Hashable, Codable {
    /// `mode:owner:group:kind` of `~/.ssh`, empty when there is none.
    var folder: String
    /// The same of `authorized_keys`.
    var file: String
    /// Its content; `nil` when there is no file.
    var content: String?
  }

  var users: [String: User] = [:]
  var groups: [String: Group] = [:]
  /// The shadow password field by user; empty when shadow could not be read (not root).
  var passwords: [String: String] = [:]
  var keys: [String: Keys] = [:]
  /// UID_MIN, UID_MAX, GID_MIN, GID_MAX of /etc/login.defs, where set.
  var definitions: [String: Int] = [:]

  func group(gid: Int) -> Group? { groups.values.first { $0.gid == gid } }

  /// The supplementary groups of `user`, by name, sorted.
  func supplementaryGroups(of user: String) -> [String] {
    groups.values.filter { $0.members.contains(user) }.map(\.name).sorted()
  }

  /// Whether the password of `user` is locked (`!` in shadow); `nil` when shadow is unreadable.
  func isLocked(_ user: String) -> Bool? {
    passwords[user].map { $0.hasPrefix("!") }
  }
}

enum AccountsReader {
  static let separator = "\u{1E}"

  /// The script: sections behind a record separator, which `getent` lines never hold.
  static func script(keysOf users: [String]) -> ShellScript {
    var script = ShellScript()
    script.append(raw: "PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH; export LC_ALL=C")
    script.append(raw: "s=$(printf '\\036')")
    script.append(raw: #"echo "${s}passwd"; getent passwd"#)
    script.append(raw: #"echo "${s}group"; getent group"#)
    script.append(raw: #"echo "${s}shadow"; getent shadow 2>/dev/null | cut -d: -f1,2"#)
    script.append(
      raw:
        #"echo "${s}defs"; grep -E '^[[:space:]]*(UID_MIN|UID_MAX|GID_MIN|GID_MAX)[[:space:]]' /etc/login.defs 2>/dev/null"#
    )
    script.append(ShellCommand.raw("set --").appending(words: users))
    script.append(
      raw:
        #"for u in "$@"; do h=$(getent passwd "$u" | cut -d: -f6); [ -n "$h" ] || continue; d=$(stat -c '%a:%U:%G:%F' -- "$h/.ssh" 2>/dev/null); f=$(stat -c '%a:%U:%G:%F' -- "$h/.ssh/authorized_keys" 2>/dev/null); c=$(base64 -w0 -- "$h/.ssh/authorized_keys" 2>/dev/null); printf '%skeys\t%s\t%s\t%s\t%s\n' "$s" "$u" "$d" "$f" "$c"; done"#
    )
    return script
  }

  static func read(keysOf users: [String], through transport: any Transport) async throws
    -> HostAccounts
  {
    let result = try await transport.run(script(keysOf: users))
    try result.check(ShellScript.interpreter, on: transport.host.name)
    return parse(result.stdoutText)
  }

  static func parse(_ output: String) -> HostAccounts {
    var accounts = HostAccounts()
    var section = ""
    for line in output.split(separator: "\n", omittingEmptySubsequences: true) {
      if line.hasPrefix(separator) {
        let header = line.dropFirst()
        if header.hasPrefix("keys\t") {
          let fields = header.split(separator: "\t", omittingEmptySubsequences: false)
          guard fields.count == 5 else { continue }
          let content =
            fields[3].isEmpty
            ? nil
            : Data(base64Encoded: String(fields[4])).map { String(decoding: $0, as: UTF8.self) }
          accounts.keys[String(fields[1])] = HostAccounts.Keys(
            folder: String(fields[2]), file: String(fields[3]), content: content)
        } else {
          section = String(header)
        }
        continue
      }
      let fields = line.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
      switch section {
      case "passwd" where fields.count >= 7:
        guard let uid = Int(fields[2]), let gid = Int(fields[3]) else { continue }
        accounts.users[fields[0]] = HostAccounts.User(
          name: fields[0], uid: uid, gid: gid, comment: fields[4], home: fields[5],
          shell: fields[6])
      case "group" where fields.count >= 4:
        guard let gid = Int(fields[2]) else { continue }
        accounts.groups[fields[0]] = HostAccounts.Group(
          name: fields[0], gid: gid,
          members: fields[3].split(separator: ",").map(String.init))
      case "shadow" where fields.count >= 2:
        accounts.passwords[fields[0]] = fields[1]
      case "defs":
        let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
        if words.count >= 2, let value = Int(words[1]) {
          accounts.definitions[String(words[0])] = value
        }
      default: continue
      }
    }
    return accounts
  }
}

/// Names of users and groups: what Debian's adduser accepts by default, and nothing a shell
/// or an option parser would read otherwise.
enum AccountNames {
  static func isValid(_ name: String) -> Bool {
    guard let first = name.unicodeScalars.first, name.count <= 32,
      ("a"..."z").contains(first) || first == "_"
    else { return false }
    let body = name.hasSuffix("$") ? String(name.dropLast()) : name
    return body.unicodeScalars.allSatisfy {
      ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" || $0 == "-" || $0 == "."
    }
  }

  static let hint =
    "names start with a lowercase letter or _, then lowercase letters, digits, _ . -, 32 at most"
}
