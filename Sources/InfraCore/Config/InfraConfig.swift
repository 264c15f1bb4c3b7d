/// The parsed `infra.yaml`: which hosts exist and which connectors run under which prefixes.
///
/// The loader returns a best-effort model even when it reports errors, so later checks (connector
/// types, options) still run and every problem is reported in one pass.
package struct InfraConfig: Sendable {
  /// The newest schema version this build understands.
  package static let supportedVersion = 1

  /// The config file, relative to the repository root (normally `infra.yaml`).
  package var path: String
  package var version: Int
  package var hosts: [HostConfig]
  package var prefixes: [PrefixConfig]
  /// How many runs `.infra/runs/` keeps (`runs: { keep: N }`).
  package var keepRuns: Int

  /// The folder on every host that holds its apply lock (`locks: { folder: PATH }`).
  package var lockFolder: String
  /// How long a host's lock lasts without being renewed (`locks: { lease: SECONDS }`): a lock
  /// older than that belongs to a run that is gone, and may be taken over.
  package var lockLease: Int = InfraConfig.defaultLockLease
  /// Programs that yield more hosts (`inventory:`), run before anything else is checked.
  package var inventory: [ExternalProgram] = []
  /// Transport programs by name (`transports:`), for hosts whose `connect:` is `name://...`.
  package var transports: [String: ExternalProgram] = [:]
  /// Where age identities come from, and whom to encrypt to (`secrets:`).
  package var secrets = SecretsSettings()
  /// The data every host has unless its groups or itself say otherwise (`defaults: {data:}`).
  package var defaults = DataLayer(label: "defaults")
  /// The data of each group's hosts (`groups: {NAME: {data:}}`), by group name.
  package var groups: [String: DataLayer] = [:]

  /// Runs kept when infra.yaml does not say.
  package static let defaultKeepRuns = 20
  /// Made private to the connecting user when missing (0700).
  package static let defaultLockFolder = "/tmp/infra-locks"
  /// A minute: renewed every 20 s, a holder's lock lapses a minute after it stops renewing.
  package static let defaultLockLease = 60

  package init(
    path: String, version: Int, hosts: [HostConfig], prefixes: [PrefixConfig],
    keepRuns: Int = InfraConfig.defaultKeepRuns, lockFolder: String = InfraConfig.defaultLockFolder
  ) {
    self.lockFolder = lockFolder
    self.path = path
    self.version = version
    self.hosts = hosts
    self.prefixes = prefixes
    self.keepRuns = keepRuns
  }
}

/// One entry of `hosts:`.
package struct HostConfig: Sendable, Hashable {
  package var name: String
  /// Where the host's name is written.
  package var location: SourceLocation
  package var connection: Connection
  /// The groups the host declares, in order (the implicit `all` group is not listed).
  package var groups: [Located<String>]
  /// Free-form per-host data that connectors may read.
  package var data: [String: JSONValue]
  /// Whether commands run through `sudo`, and as whom.
  package var escalation: Escalation
  /// SSH settings from the `ssh_*` keys of `data:`.
  package var ssh: SSHSettings
  /// Where each key of `data` came from (`host`, `group web`, `defaults`), once the data of
  /// the defaults and the host's groups are laid under the host's own.
  package var dataSources: [String: String] = [:]

  package init(
    name: String, location: SourceLocation, connection: Connection,
    groups: [Located<String>] = [], data: [String: JSONValue] = [:],
    escalation: Escalation = .none, ssh: SSHSettings = SSHSettings()
  ) {
    self.name = name
    self.location = location
    self.connection = connection
    self.groups = groups
    self.data = data
    self.escalation = escalation
    self.ssh = ssh
  }
}

/// How a host is reached: the `connect:` value of a host.
package enum Connection: Hashable, Sendable, CustomStringConvertible {
  /// The machine `infra` runs on, without any remote shell.
  case local
  /// OpenSSH to `user@host:port`; `nil` parts come from the user's ssh_config.
  case ssh(user: String?, host: String, port: Int?)
  /// Through a transport program declared under `transports:` (`name://address`).
  case program(transport: String, address: String)

  package var description: String {
    switch self {
    case .local:
      return "local"
    case .ssh(let user, let host, let port):
      let userPart = user.map { "\($0)@" } ?? ""
      let hostPart = host.contains(":") ? "[\(host)]" : host
      return "ssh://\(userPart)\(hostPart)" + (port.map { ":\($0)" } ?? "")
    case .program(let transport, let address):
      return "\(transport)://\(address)"
    }
  }
}

/// One entry of `prefixes:`, a folder `resources/<name>/` with its own connectors.
package struct PrefixConfig: Sendable {
  package var name: String
  package var location: SourceLocation
  /// In the order written: the order ops run in on each host.
  package var connectors: [ConnectorConfig]

  package init(name: String, location: SourceLocation, connectors: [ConnectorConfig]) {
    self.name = name
    self.location = location
    self.connectors = connectors
  }
}

/// One connector enabled under a prefix.
package struct ConnectorConfig: Sendable {
  /// The connector's folder under the prefix, and the first segment of its addresses.
  package var name: Located<String>
  /// The builtin connector type; defaults to the name.
  package var type: Located<String>
  /// The hosts it serves; `nil` means every host.
  package var hosts: [Located<HostSelector>]?
  /// Connector-specific settings, checked against the connector's declared options.
  package var options: [String: Located<JSONValue>]
  /// `sudo:` / `sudo_user:` of the connector, overriding its hosts' own; `nil` keeps theirs.
  package var escalation: Escalation?
  /// The program of an external connector (`run:` and `env:`); `nil` for a builtin type.
  package var program: ExternalProgram?
  /// Where the entry starts.
  package var location: SourceLocation

  package init(
    name: Located<String>, type: Located<String>, hosts: [Located<HostSelector>]? = nil,
    options: [String: Located<JSONValue>] = [:], escalation: Escalation? = nil,
    program: ExternalProgram? = nil, location: SourceLocation
  ) {
    self.name = name
    self.type = type
    self.hosts = hosts
    self.options = options
    self.escalation = escalation
    self.program = program
    self.location = location
  }
}

/// A connector program: what `run:` starts and the environment `env:` gives it.
package struct ExternalProgram: Sendable, Hashable {
  /// The program and its arguments; a relative program path is relative to the repository.
  package var arguments: [String]
  /// Only these variables are passed (besides `PATH`, `HOME` and `LANG`).
  package var environment: [String: EnvironmentValue]
  /// The longest any one call may take.
  package var timeout: Int
  /// The largest message infra reads from the program, in bytes (`max_message_bytes:`).
  package var maxMessageBytes: Int
  package var location: SourceLocation

  package static let defaultTimeout = 300
  /// 32 MiB: far more than any answer that names resources, as LSP servers bound theirs.
  package static let defaultMaxMessageBytes = 32 << 20
  /// The smallest `max_message_bytes:` allowed: a `load` answer must fit.
  package static let minimumMaxMessageBytes = 64 << 10

  package init(
    arguments: [String], environment: [String: EnvironmentValue] = [:],
    timeout: Int = ExternalProgram.defaultTimeout,
    maxMessageBytes: Int = ExternalProgram.defaultMaxMessageBytes, location: SourceLocation
  ) {
    self.arguments = arguments
    self.environment = environment
    self.timeout = timeout
    self.maxMessageBytes = maxMessageBytes
    self.location = location
  }

  /// A value written in infra.yaml, or taken by name from infra's own environment.
  package enum EnvironmentValue: Sendable, Hashable {
    case value(String)
    case from(String)
  }
}

/// A host name or an `@group` in a `hosts:` list.
package enum HostSelector: Hashable, Sendable, CustomStringConvertible {
  case host(String)
  case group(String)

  /// Reads `web1` as a host and `@web` as a group.
  package init(parsing text: String) {
    if text.hasPrefix("@") {
      self = .group(String(text.dropFirst()))
    } else {
      self = .host(text)
    }
  }

  package var description: String {
    switch self {
    case .host(let name): name
    case .group(let name): "@\(name)"
    }
  }
}

/// Data that hosts inherit: the defaults, or a group's.
package struct DataLayer: Sendable, Hashable {
  /// How `infra hosts --data` names where a value came from: `defaults`, `group web`.
  package var label: String
  package var data: [String: JSONValue] = [:]
  package var ssh = SSHSettings()
  package var location: SourceLocation?

  package init(label: String, data: [String: JSONValue] = [:], ssh: SSHSettings = SSHSettings()) {
    self.label = label
    self.data = data
    self.ssh = ssh
  }
}
