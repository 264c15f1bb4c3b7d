/// The parsed `infra.yaml`: which hosts exist and which connectors run under which prefixes.
///
/// The loader returns a best-effort model even when it reports errors, so later checks (connector
/// types, options) still run and every problem is reported in one pass.
public struct InfraConfig: Sendable {
  /// The newest schema version this build understands.
  public static let supportedVersion = 1

  /// The config file, relative to the repository root (normally `infra.yaml`).
  public var path: String
  public var version: Int
  public var hosts: [HostConfig]
  public var prefixes: [PrefixConfig]
  /// How many runs `.infra/runs/` keeps (`runs: { keep: N }`).
  public var keepRuns: Int

  /// The folder on every host that holds its apply lock (`locks: { folder: PATH }`).
  public var lockFolder: String
  /// Programs that yield more hosts (`inventory:`), run before anything else is checked.
  public var inventory: [ExternalProgram] = []
  /// Transport programs by name (`transports:`), for hosts whose `connect:` is `name://...`.
  public var transports: [String: ExternalProgram] = [:]

  /// Runs kept when infra.yaml does not say.
  public static let defaultKeepRuns = 20
  /// World-writable and sticky, so one user's lock cannot be removed by another user's run.
  public static let defaultLockFolder = "/tmp/infra-locks"

  public init(
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
public struct HostConfig: Sendable, Hashable {
  public var name: String
  /// Where the host's name is written.
  public var location: SourceLocation
  public var connection: Connection
  /// The groups the host declares, in order (the implicit `all` group is not listed).
  public var groups: [Located<String>]
  /// Free-form per-host data that connectors may read.
  public var data: [String: JSONValue]
  /// Whether commands run through `sudo`, and as whom.
  public var escalation: Escalation
  /// SSH settings from the `ssh_*` keys of `data:`.
  public var ssh: SSHSettings

  public init(
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
public enum Connection: Hashable, Sendable, CustomStringConvertible {
  /// The machine `infra` runs on, without any remote shell.
  case local
  /// OpenSSH to `user@host:port`; `nil` parts come from the user's ssh_config.
  case ssh(user: String?, host: String, port: Int?)
  /// Through a transport program declared under `transports:` (`name://address`).
  case program(transport: String, address: String)

  public var description: String {
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
public struct PrefixConfig: Sendable {
  public var name: String
  public var location: SourceLocation
  /// In the order written: the order ops run in on each host.
  public var connectors: [ConnectorConfig]

  public init(name: String, location: SourceLocation, connectors: [ConnectorConfig]) {
    self.name = name
    self.location = location
    self.connectors = connectors
  }
}

/// One connector enabled under a prefix.
public struct ConnectorConfig: Sendable {
  /// The connector's folder under the prefix, and the first segment of its addresses.
  public var name: Located<String>
  /// The builtin connector type; defaults to the name.
  public var type: Located<String>
  /// The hosts it serves; `nil` means every host.
  public var hosts: [Located<HostSelector>]?
  /// Connector-specific settings, checked against the connector's declared options.
  public var options: [String: Located<JSONValue>]
  /// `sudo:` / `sudo_user:` of the connector, overriding its hosts' own; `nil` keeps theirs.
  public var escalation: Escalation?
  /// The program of an external connector (`run:` and `env:`); `nil` for a builtin type.
  public var program: ExternalProgram?
  /// Where the entry starts.
  public var location: SourceLocation

  public init(
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
public struct ExternalProgram: Sendable, Hashable {
  /// The program and its arguments; a relative program path is relative to the repository.
  public var arguments: [String]
  /// Only these variables are passed (besides `PATH`, `HOME` and `LANG`).
  public var environment: [String: EnvironmentValue]
  /// The longest any one call may take.
  public var timeout: Int
  public var location: SourceLocation

  public static let defaultTimeout = 300

  public init(
    arguments: [String], environment: [String: EnvironmentValue] = [:],
    timeout: Int = ExternalProgram.defaultTimeout, location: SourceLocation
  ) {
    self.arguments = arguments
    self.environment = environment
    self.timeout = timeout
    self.location = location
  }

  /// A value written in infra.yaml, or taken by name from infra's own environment.
  public enum EnvironmentValue: Sendable, Hashable {
    case value(String)
    case from(String)
  }
}

/// A host name or an `@group` in a `hosts:` list.
public enum HostSelector: Hashable, Sendable, CustomStringConvertible {
  case host(String)
  case group(String)

  /// Reads `web1` as a host and `@web` as a group.
  public init(parsing text: String) {
    if text.hasPrefix("@") {
      self = .group(String(text.dropFirst()))
    } else {
      self = .host(text)
    }
  }

  public var description: String {
    switch self {
    case .host(let name): name
    case .group(let name): "@\(name)"
    }
  }
}
