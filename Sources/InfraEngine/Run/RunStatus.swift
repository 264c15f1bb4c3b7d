import InfraCore

/// What a run does: only read and plan, or plan and then apply.
public enum RunKind: String, Sendable, Codable {
  case plan
  case apply
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
public struct HostStats: Hashable, Sendable, Codable {
  public var host: String
  /// Resources that ended without error: changed plus unchanged.
  public var ok = 0
  /// Changes applied (in an apply) or planned (in a plan).
  public var changed = 0
  /// Resources that could not be planned, or whose op failed.
  public var failed = 0
  /// Resources not reached because the host could not be connected to.
  public var unreachable = 0
  /// Resources that already matched the repository.
  public var unchanged = 0
  /// Ops not attempted: after a failure on the same host, or after a cancel.
  public var skipped = 0
  /// Transport calls (`run`, `put`, `get`) by connector (`prefix/name`).
  public var roundTrips: [String: Int] = [:]

  public init(host: String) {
    self.host = host
  }

  var json: JSONValue {
    .object([
      "ok": .int(ok), "changed": .int(changed), "failed": .int(failed),
      "unreachable": .int(unreachable), "unchanged": .int(unchanged), "skipped": .int(skipped),
      "round_trips": .object(roundTrips.mapValues(JSONValue.int)),
    ])
  }
}
