import Foundation
import InfraCore

/// What OpenSSH's error output means, in words that name the host and the fix.
enum SSHErrors {
  /// Whether a 255 exit came from `ssh` itself (the connection) rather than the remote command.
  static func isConnectionFailure(_ stderr: String) -> Bool {
    let markers = [
      "ssh:", "Connection closed", "Connection reset", "Broken pipe", "mux_client",
      "Control socket", "Host key verification failed", "Permission denied (",
    ]
    return markers.contains { stderr.contains($0) }
  }

  static func explain(_ stderr: String, for transport: SSHTransport) -> String {
    let endpoint = transport.endpoint
    let knownHosts = transport.settings.knownHostsFile ?? "~/.ssh/known_hosts"
    let keyName = transport.port.map { "[\(transport.address)]:\($0)" } ?? transport.address
    if stderr.contains("REMOTE HOST IDENTIFICATION HAS CHANGED")
      || stderr.contains("has changed and you have requested strict checking")
    {
      return
        "the host key of \(endpoint) has CHANGED since it was recorded in \(knownHosts); this can be an attack. If the change is expected, remove the old key with `ssh-keygen -f \(knownHosts) -R '\(keyName)'` and connect again"
    }
    if stderr.contains("host key is known for") || stderr.contains("Host key verification failed") {
      let scan =
        "ssh-keyscan " + (transport.port.map { "-p \($0) " } ?? "")
        + "\(transport.address) >> \(knownHosts)"
      return
        "the host key of \(endpoint) is not in \(knownHosts), and host keys are checked strictly. Check the key's fingerprint, then add it with `\(scan)`, or set `ssh_host_key_checking: accept-new` in the host's data"
    }
    if stderr.contains("Connection refused") {
      return "connection refused by \(endpoint): is sshd running and listening there?"
    }
    if stderr.contains("Permission denied") {
      let user = transport.user ?? "the default user"
      return
        "\(user) could not log in to \(endpoint) (\(lastLine(stderr).replacingOccurrences(of: "\(transport.destination): ", with: ""))); check the user in `connect:` and the key (`ssh_identity_file`, or your SSH agent)"
    }
    if stderr.contains("Could not resolve hostname") {
      return "cannot resolve the host name \(transport.address)"
    }
    if stderr.contains("timed out") {
      return
        "connecting to \(endpoint) timed out after \(transport.settings.connectTimeout)s (`ssh_connect_timeout`)"
    }
    if stderr.contains("No route to host") || stderr.contains("Network is unreachable") {
      return "no route to \(endpoint)"
    }
    let line = lastLine(stderr)
    return line.isEmpty ? "ssh to \(endpoint) failed without a message" : line
  }

  private static func lastLine(_ text: String) -> String {
    text.split(separator: "\n").last.map { String($0).trimmingCharacters(in: .whitespaces) } ?? ""
  }
}
