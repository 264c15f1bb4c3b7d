import Foundation

/// The arguments `ssh` is run with: how the host is reached, and the master's socket.
extension SSHTransport {
  /// `user@address` (or `address`), as people write it.
  var destination: String {
    (user.map { "\($0)@" } ?? "") + address
  }

  /// `address:port` for messages.
  var endpoint: String {
    let shown = address.contains(":") ? "[\(address)]" : address
    return port.map { "\(shown):\($0)" } ?? shown
  }

  /// The `ssh` arguments up to and including the destination.
  func arguments(_ folder: String, control: [String] = []) -> [String] {
    [
      "-T",
      "-o", "BatchMode=yes",
      "-o", "LogLevel=ERROR",
      "-o", "ControlMaster=auto",
      "-o", "ControlPath=\(folder)/\(persistent == nil ? "%C" : persistentSocketName)",
      "-o", "ControlPersist=\(persistent ?? Self.masterIdleSeconds)",
    ] + connectionArguments + control + ["--", address]
  }

  /// The arguments that decide how the host is reached: a persistent master is shared only
  /// by runs that would open it with the same ones.
  var connectionArguments: [String] {
    var arguments = [
      "-o", "StrictHostKeyChecking=\(settings.hostKeyChecking == .strict ? "yes" : "accept-new")",
      "-o", "ConnectTimeout=\(settings.connectTimeout)",
      "-o", "ServerAliveInterval=15",
      "-o", "ServerAliveCountMax=4",
    ]
    if let identity = settings.identityFile {
      arguments += ["-i", expandingTilde(identity), "-o", "IdentitiesOnly=yes"]
    }
    if let knownHosts = settings.knownHostsFile {
      arguments += ["-o", "UserKnownHostsFile=\(expandingTilde(knownHosts))"]
    }
    for (name, value) in settings.options.sorted(by: { $0.key < $1.key }) {
      arguments += ["-o", "\(name)=\(value)"]
    }
    if let port { arguments += ["-p", String(port)] }
    if let user { arguments += ["-l", user] }
    return arguments
  }

  private func expandingTilde(_ path: String) -> String {
    NSString(string: path).expandingTildeInPath
  }
}
