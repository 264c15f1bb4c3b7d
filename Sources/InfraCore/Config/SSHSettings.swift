/// How to reach a host over SSH beyond its `connect:` URL, read from its `data:` keys
/// (`ssh_identity_file`, `ssh_known_hosts_file`, `ssh_host_key_checking`,
/// `ssh_connect_timeout`, `ssh_options`, `ssh_persist`), as pyinfra reads `ssh_*` host data.
package struct SSHSettings: Hashable, Sendable {
  package enum HostKeyChecking: String, Hashable, Sendable, CaseIterable {
    /// Unknown and changed host keys are refused (the default).
    case strict
    /// Unknown keys are added to known_hosts; changed keys are still refused.
    case acceptNew = "accept-new"
  }

  /// A private key to offer (and only that one).
  package var identityFile: String?
  /// A known_hosts file to use instead of the user's.
  package var knownHostsFile: String?
  package var hostKeyChecking: HostKeyChecking
  /// Seconds to wait for the TCP connection.
  package var connectTimeout: Int
  /// Further `-o Name=value` options, e.g. `ProxyJump`.
  package var options: [String: String]
  /// Seconds a connection stays open after a run for the next one (Ansible's ControlPersist);
  /// 0 closes it when the run ends.
  package var persistSeconds: Int
  /// The `data:` keys these settings were read from, for laying settings of a host over those
  /// of its groups and the defaults.
  package var written: Set<String> = []

  package init(
    identityFile: String? = nil, knownHostsFile: String? = nil,
    hostKeyChecking: HostKeyChecking = .strict, connectTimeout: Int = 10,
    options: [String: String] = [:], persistSeconds: Int = SSHSettings.defaultPersistSeconds
  ) {
    self.identityFile = identityFile
    self.knownHostsFile = knownHostsFile
    self.hostKeyChecking = hostKeyChecking
    self.connectTimeout = connectTimeout
    self.options = options
    self.persistSeconds = persistSeconds
  }

  /// Ansible's default: a plan followed by its apply within a minute pays one handshake.
  package static let defaultPersistSeconds = 60

  /// The `data:` keys these settings come from, with what each takes.
  package static let keys: [(name: String, summary: String)] = [
    ("ssh_identity_file", "a private key file to log in with"),
    ("ssh_known_hosts_file", "a known_hosts file to check host keys against"),
    ("ssh_host_key_checking", "'strict' (the default) or 'accept-new'"),
    ("ssh_connect_timeout", "seconds to wait for a connection (default 10)"),
    ("ssh_options", "further OpenSSH options, e.g. { ProxyJump: bastion }"),
    (
      "ssh_persist",
      "seconds the connection stays open after a run for the next one (default 60; 0: closed at the end of each run)"
    ),
  ]

  /// Settings are equal when they reach a host the same way, whichever keys they came from.
  package static func == (lhs: SSHSettings, rhs: SSHSettings) -> Bool {
    (lhs.identityFile, lhs.knownHostsFile, lhs.hostKeyChecking, lhs.connectTimeout, lhs.options)
      == (
        rhs.identityFile, rhs.knownHostsFile, rhs.hostKeyChecking, rhs.connectTimeout, rhs.options
      ) && lhs.persistSeconds == rhs.persistSeconds
  }

  package func hash(into hasher: inout Hasher) {
    hasher.combine(identityFile)
    hasher.combine(knownHostsFile)
    hasher.combine(hostKeyChecking)
    hasher.combine(connectTimeout)
    hasher.combine(options)
    hasher.combine(persistSeconds)
  }

  /// These settings with what `other` wrote laid over them: a key `other` wrote wins.
  package func overlaid(by other: SSHSettings) -> SSHSettings {
    var merged = self
    for key in other.written {
      switch key {
      case "ssh_identity_file": merged.identityFile = other.identityFile
      case "ssh_known_hosts_file": merged.knownHostsFile = other.knownHostsFile
      case "ssh_host_key_checking": merged.hostKeyChecking = other.hostKeyChecking
      case "ssh_connect_timeout": merged.connectTimeout = other.connectTimeout
      case "ssh_options": merged.options = other.options
      case "ssh_persist": merged.persistSeconds = other.persistSeconds
      default: break
      }
    }
    merged.written.formUnion(other.written)
    return merged
  }

  /// What the `data:` key `name` takes.
  static func summary(_ name: String) -> String {
    keys.first { $0.name == name }?.summary ?? ""
  }
}

/// Running commands as another user: `sudo: true` and `sudo_user:` on a host or a connector.
package enum Escalation: Hashable, Sendable {
  /// Commands run as the connecting user.
  case none
  /// Commands run through `sudo -n`, as `user` (root when `nil`).
  case sudo(user: String?)
}
