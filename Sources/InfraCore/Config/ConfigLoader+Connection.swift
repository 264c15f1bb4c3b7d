extension ConfigLoader {
  struct ConnectionProblem: Error {
    let reason: String
  }

  /// Parses `local` or `ssh://[user@]host[:port]` (IPv6 hosts in brackets).
  static func parseConnection(_ text: String) -> Result<Connection, ConnectionProblem> {
    if text == "local" { return .success(.local) }
    guard let schemeEnd = text.range(of: "://") else {
      return .failure(ConnectionProblem(reason: "it is neither 'local' nor a URL"))
    }
    let scheme = String(text[..<schemeEnd.lowerBound])
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
}
