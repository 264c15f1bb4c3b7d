import InfraCore

/// What a run does.
public enum RunKind: String, Sendable, Codable, CaseIterable {
  /// Read live state and plan (`infra plan`).
  case plan
  /// Plan, or check a saved plan, then apply (`infra apply`).
  case apply
  /// Write live state back into resource files (`infra pull`).
  case pull
  /// Write resource files for what hosts have (`infra import`).
  case `import`
  /// Run a shell command on hosts (`infra run`).
  case command
  /// Remove hosts' apply locks (`infra unlock`).
  case unlock
  /// Gather hosts' facts (`infra hosts --facts`).
  case facts
}

/// Where a run is in its life, as ansible-runner reports it:
/// `unstarted → starting → running → successful | failed | canceled | timeout`.
public enum RunStatus: String, Sendable, Codable, CaseIterable {
  case unstarted
  case starting
  case running
  case successful
  case failed
  case canceled
  case timeout

  /// Whether the run has ended.
  public var isFinal: Bool {
    switch self {
    case .unstarted, .starting, .running: false
    case .successful, .failed, .canceled, .timeout: true
    }
  }

  /// The exit code a finished run ends with: 0, 1, 130 (canceled) or 124 (timed out, as
  /// timeout(1) exits).
  public var rc: Int32 {
    switch self {
    case .unstarted, .starting, .running, .successful: 0
    case .failed: 1
    case .canceled: 130
    case .timeout: 124
    }
  }
}

/// What happened to one host's resources in a run, as ansible-runner's per-host stats.
///
/// What is counted is what the run works through: resources in a plan, an apply or a pull,
/// connectors' listings in an import, the command in `infra run`, the lock in `infra unlock`.
public struct HostStats: Hashable, Sendable, Codable {
  /// The host the counts are for.
  public var host: String
  /// What ended without error: changed plus unchanged.
  public var ok = 0
  /// Changes applied (in an apply) or planned (in a plan); files pulled or imported; commands
  /// that exited 0; locks removed.
  public var changed = 0
  /// What could not be done: not planned, an op that failed, a command that did not exit 0.
  public var failed = 0
  /// What was not reached because the host could not be connected to: all of its resources
  /// when it could not be connected, 1 when its connection was lost during an apply (its ops
  /// then count as changed when confirmed, failed for the one in flight, skipped for the rest).
  public var unreachable = 0
  /// What already matched: resources the repository declares as they are, hosts not locked.
  public var unchanged = 0
  /// What was not attempted: after a failure on the same host, or after a stop.
  public var skipped = 0
  /// Transport calls (`run`, `put`, `get`) by caller: a connector (`prefix/name`), or infra's
  /// own `lock` and `command`.
  public var roundTrips: [String: Int] = [:]

  /// Zero counts for `host`.
  public init(host: String) {
    self.host = host
  }

  /// The stats of a host whose work went through `total` things and ended as `outcome`: all
  /// unreachable or skipped when it did not get done; otherwise `changed` and `failed` as
  /// counted, and the rest unchanged.
  init<Value>(
    _ host: String, of total: Int, outcome: HostOutcome<Value>, changed: Int = 0,
    failed: Int = 0
  ) {
    self.init(host: host)
    switch outcome {
    case .unreachable: unreachable = total
    case .stopped: skipped = total
    case .done:
      self.changed = changed
      self.failed = failed
      unchanged = max(0, total - changed - failed)
    }
    ok = self.changed + unchanged
  }

  var json: JSONValue {
    .object([
      "ok": .int(ok), "changed": .int(changed), "failed": .int(failed),
      "unreachable": .int(unreachable), "unchanged": .int(unchanged), "skipped": .int(skipped),
      "round_trips": .object(roundTrips.mapValues(JSONValue.int)),
    ])
  }
}
