import Yams

extension ConfigLoader {
  struct ConnectionProblem: Error {
    let reason: String
  }

  /// Parses `local` or `ssh://[user@]host[:port]` (IPv6 hosts in brackets).
  static func parseConnection(_ text: String, transports: Set<String> = [])
    -> Result<Connection, ConnectionProblem>
  {
    if text == "local" { return .success(.local) }
    guard let schemeEnd = text.range(of: "://") else {
      return .failure(ConnectionProblem(reason: "it is neither 'local' nor a URL"))
    }
    let scheme = String(text[..<schemeEnd.lowerBound])
    if transports.contains(scheme) {
      return .success(
        .program(transport: scheme, address: String(text[schemeEnd.upperBound...])))
    }
    guard scheme == "ssh" else {
      return .failure(ConnectionProblem(reason: "unknown transport '\(scheme)'"))
    }
    var rest = Substring(text[schemeEnd.upperBound...])
    if rest.hasSuffix("/") { rest.removeLast() }
    var user: String?
    if let at = rest.lastIndex(of: "@") {
      user = String(rest[..<at])
      rest = rest[rest.index(after: at)...]
      if user!.isEmpty { return .failure(ConnectionProblem(reason: "the user name is empty")) }
    }
    var host: Substring
    var portText: Substring?
    if rest.hasPrefix("[") {
      guard let close = rest.firstIndex(of: "]") else {
        return .failure(ConnectionProblem(reason: "an IPv6 address misses its ']'"))
      }
      host = rest[rest.index(after: rest.startIndex)..<close]
      let after = rest[rest.index(after: close)...]
      if after.hasPrefix(":") {
        portText = after.dropFirst()
      } else if !after.isEmpty {
        return .failure(ConnectionProblem(reason: "unexpected text after the address"))
      }
    } else if let colon = rest.firstIndex(of: ":") {
      host = rest[..<colon]
      portText = rest[rest.index(after: colon)...]
    } else {
      host = rest
    }
    if host.isEmpty { return .failure(ConnectionProblem(reason: "the host name is empty")) }
    if host.contains("/") || host.contains(where: \.isWhitespace) {
      return .failure(ConnectionProblem(reason: "the host name contains '/' or a space"))
    }
    var port: Int?
    if let portText {
      guard let value = Int(portText), (1...65535).contains(value) else {
        return .failure(ConnectionProblem(reason: "the port must be a number from 1 to 65535"))
      }
      port = value
    }
    return .success(.ssh(user: user, host: String(host), port: port))
  }

  /// The `ssh_*` keys of a host's `data:`, type-checked where they are written.
  static func readSSHSettings(_ data: Node, of what: String, reader: inout YAMLReader)
    -> SSHSettings
  {
    var settings = SSHSettings()
    guard case .mapping(let mapping) = data else { return settings }
    let known = SSHSettings.keys.map(\.name)
    for (keyNode, value) in mapping {
      guard let key = keyNode.scalar?.string, key.hasPrefix("ssh_") else { continue }
      if known.contains(key) { settings.written.insert(key) }
      switch key {
      case "ssh_identity_file":
        settings.identityFile = reader.string(value, for: "'\(key)'", acceptingScalars: true)
      case "ssh_known_hosts_file":
        settings.knownHostsFile = reader.string(value, for: "'\(key)'", acceptingScalars: true)
      case "ssh_host_key_checking":
        guard let text = reader.string(value, for: "'\(key)'", acceptingScalars: true) else {
          continue
        }
        if let checking = SSHSettings.HostKeyChecking(rawValue: text) {
          settings.hostKeyChecking = checking
        } else {
          reader.error(
            "'\(key)' of \(what) must be 'strict' or 'accept-new', not '\(text)'", at: value,
            hint: "'accept-new' trusts a host's key the first time; changed keys are always refused"
          )
        }
      case "ssh_connect_timeout":
        if let seconds = reader.int(value, for: "'\(key)'") {
          if seconds >= 1 {
            settings.connectTimeout = seconds
          } else {
            reader.error("'\(key)' of \(what) must be at least 1 second", at: value)
          }
        }
      case "ssh_persist":
        if let seconds = reader.int(value, for: "'\(key)'") {
          if seconds >= 0 {
            settings.persistSeconds = seconds
          } else {
            reader.error(
              "'\(key)' of \(what) must be 0 or more seconds", at: value,
              hint: "0 closes the connection when each run ends")
          }
        }
      case "ssh_options":
        guard
          let options = reader.mapping(
            value, for: "'ssh_options' (OpenSSH option names mapped to values)", keys: [])
        else { continue }
        for option in options.entries {
          if let text = reader.string(
            option.value, for: "option '\(option.name)'", acceptingScalars: true)
          {
            settings.options[option.name] = text
          }
        }
      default:
        var hint = "SSH settings: " + known.joined(separator: ", ")
        if let match = closestMatch(to: key, in: known) {
          hint = "did you mean '\(match)'? " + hint
        }
        reader.error("unknown SSH setting '\(key)' in the data of \(what)", at: keyNode, hint: hint)
      }
    }
    return settings
  }
}
