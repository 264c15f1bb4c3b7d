import InfraCore
import InfraEngine

// The `--json` output of the commands that list or check: for programs, as `infra plan --json`
// is. Keys are snake_case; a field that does not apply is null (problems are written as plan
// documents write their diagnostics, which leave such fields out).

extension InventoryHost {
  /// A host as `infra hosts --json` prints it.
  var json: JSONValue {
    let sudo: JSONValue =
      switch escalation {
      case .none: .null
      case .sudo(let user): .string(user ?? "root")
      }
    return .object([
      "name": .string(name), "connect": .string(connection.description),
      "groups": .array(groups.map(JSONValue.string)), "sudo": sudo, "data": .object(data),
      "data_sources": .object(data.keys.reduce(into: [:]) { $0[$1] = .string(source(of: $1)) }),
    ])
  }

  /// Where the value of data key `key` came from: `host`, `group NAME` or `defaults`.
  func source(of key: String) -> String {
    dataSources[key] ?? "host"
  }
}

extension ConnectorInstance {
  /// An enabled connector as `infra connectors --json` prints it.
  var json: JSONValue {
    .object([
      "prefix": .string(prefix), "name": .string(name), "type": .string(info.type),
      "hosts": config.hosts.map { .array($0.map { .string($0.value.description) }) } ?? .null,
      "folder": .string("resources/\(prefix)/\(name)/"), "files": .int(fileCount),
      "resources": .int(resources.count),
    ])
  }
}

extension OptionSpec {
  var json: JSONValue {
    .object([
      "name": .string(name), "type": .string(type.rawValue), "default": defaultValue ?? .null,
      "description": .string(summary),
    ])
  }
}

extension ConnectorTypeInfo {
  /// A connector type as `infra connectors --json` prints it.
  func json(enabled: Bool) -> JSONValue {
    .object([
      "type": .string(type), "summary": .string(summary), "layout": .string(layout),
      "enabled": .bool(enabled), "options": .array(options.map(\.json)),
      "host_data": .array(hostData.map(\.json)),
    ])
  }
}

extension CommandOutcome {
  /// One host's outcome as `infra run --json` prints it.
  var json: JSONValue {
    let status: String =
      switch self.status {
      case .exited: "exited"
      case .unreachable: "unreachable"
      case .failed: "failed"
      case .timedOut: "timed_out"
      case .stopped: "canceled"
      }
    return .object([
      "host": .string(host), "status": .string(status),
      "exit_code": self.status.exitCode.map { .int(Int($0)) } ?? .null,
      "error": self.status.error.map(JSONValue.string) ?? .null,
      "stdout": .string(String(decoding: stdout, as: UTF8.self)),
      "stderr": .string(String(decoding: stderr, as: UTF8.self)),
      "duration_ms": .int(Int(duration.milliseconds)),
    ])
  }
}
