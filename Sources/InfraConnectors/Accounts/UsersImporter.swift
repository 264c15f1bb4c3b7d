import Foundation
import InfraCore
import InfraEngine
import InfraTransport

/// `infra import` for users: a file for each account of a host in its login.defs range (or
/// each one named) with what it has now, so the next plan is clean.
struct UsersImporter {
  var targets: HostTargets
  var host: String

  func list(_ names: [String], through transport: any Transport) async throws -> ListResponse {
    var accounts = try await AccountsReader.read(keysOf: [], through: transport)
    let range =
      (accounts.definitions["UID_MIN"] ?? 1000)...(accounts.definitions["UID_MAX"] ?? 60000)
    var response = ListResponse()
    var chosen: [String] = []
    let inRange = accounts.users.values.filter({ range.contains($0.uid) }).map(\.name).sorted()
    for name in names.isEmpty ? inRange : names {
      if accounts.users[name] == nil {
        response.skipped.append("\(name.clipped()): \(host) has no such user")
      } else if !AccountNames.isValid(name) {
        response.skipped.append("\(name.clipped()): not a user name infra manages")
      } else {
        chosen.append(name)
      }
    }
    accounts = try await AccountsReader.read(keysOf: chosen, through: transport)
    for name in chosen {
      guard let user = accounts.users[name] else { continue }
      let live = LiveUser(user, in: accounts, keys: true)
      var lines = ["uid: \(live.uid)", "group: \(yaml(live.group))"]
      if !live.groups.isEmpty {
        lines.append("groups: [\(live.groups.map(yaml).joined(separator: ", "))]")
      }
      lines += ["shell: \(yaml(live.shell))", "home: \(yaml(live.home))"]
      if !live.comment.isEmpty { lines.append("comment: \(yaml(live.comment))") }
      if let keys = live.keys, let content = keys.content {
        if UserPlanner.keysMatch(keys, content, name) {
          lines.append("authorized_keys:")
          lines += content.split(separator: "\n").map { "  - \(yaml(String($0)))" }
        } else {
          response.skipped.append(
            "\(name)'s authorized_keys: not imported, its mode or owner is not 0600 and \(name) (or ~/.ssh's 0700)"
          )
        }
      }
      let address = Address(
        prefix: targets.prefix, segments: [targets.connector, host, name + ".yaml"])
      response.files.append((address, Data((lines.joined(separator: "\n") + "\n").utf8)))
    }
    return response
  }

  /// A string as a YAML scalar: plain where it reads back the same (a key with its comment,
  /// a path), double-quoted otherwise.
  private func yaml(_ text: String) -> String {
    let plain = text.unicodeScalars.allSatisfy {
      ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0)
        || "/_.-@+= ".unicodeScalars.contains($0)
    }
    let first = text.unicodeScalars.first.map { !"-@ ".unicodeScalars.contains($0) } ?? false
    if plain, first, !text.hasSuffix(" "), !text.contains("  "), Int(text) == nil,
      Double(text) == nil,
      !["true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"].contains(
        text.lowercased())
    {
      return text
    }
    return JSONValue.string(text).serialized
  }
}
