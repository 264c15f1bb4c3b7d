import Foundation
import InfraCore
import InfraEngine
import InfraTransport

/// What a host's service manager says of one unit.
struct LiveService: Hashable, Codable {
  enum Manager: String, Codable {
    /// systemd runs the host: `systemctl`.
    case systemd
    /// No systemd: Debian's init scripts, `service` and `update-rc.d`.
    case initScripts = "init"
  }

  var manager: Manager
  /// The unit (or init script) is known to the host.
  var exists: Bool
  /// Running (systemd: active, activating or reloading; init: `status` exits 0).
  var running: Bool
  /// systemd's unit file state (`enabled`, `disabled`, `static`, `masked`…); for init
  /// scripts `enabled` or `disabled` by the start links of runlevels 2 to 5.
  var unitFileState: String
  /// systemd's unit file changed on disk since it was loaded (`daemon-reload` is due).
  var needsDaemonReload = false

  var isEnabled: Bool { ["enabled", "enabled-runtime"].contains(unitFileState) }
  /// The states `systemctl enable` and `disable` cannot change.
  var cannotEnable: Bool {
    ["static", "generated", "transient", "indirect", "masked", "masked-runtime", "alias"].contains(
      unitFileState)
  }
}

/// Reads every named unit of a host in one command: `systemctl show` where systemd runs,
/// init scripts and their runlevel links elsewhere.
enum ServiceReader {
  static let properties = "Id,LoadState,ActiveState,UnitFileState,NeedDaemonReload"

  static func script(_ units: [ServiceFile]) -> ShellScript {
    var script = ShellScript()
    script.append(raw: "PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH; export LC_ALL=C")
    script.append(
      raw: "if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then")
    script.append(raw: "echo systemd")
    if !units.isEmpty {
      script.append(
        ShellCommand("systemctl", "show", "--no-pager", "-p", properties, "--")
          .appending(words: units.map(\.name)))
    }
    script.append(raw: "else")
    script.append(raw: "echo init")
    script.append(ShellCommand.raw("set --").appending(words: units.map(\.script)))
    script.append(
      raw:
        #"for s in "$@"; do if [ -x "/etc/init.d/$s" ]; then e=disabled; for l in /etc/rc[2345].d/S[0-9][0-9]"$s"; do [ -e "$l" ] && e=enabled; done; "/etc/init.d/$s" status >/dev/null 2>&1; printf '%s\t1\t%s\t%s\n' "$s" "$?" "$e"; else printf '%s\t0\t-\t-\n' "$s"; fi; done"#
    )
    script.append(raw: "fi")
    return script
  }

  /// The live state of each of `units`, in order.
  static func read(_ units: [ServiceFile], through transport: any Transport) async throws
    -> [LiveService]
  {
    let command = script(units)
    let result = try await transport.run(command)
    guard result.succeeded else {
      try result.check(ShellScript.interpreter, on: transport.host.name)
      return []
    }
    return try parse(result.stdoutText, units: units, host: transport.host.name)
  }

  static func parse(_ output: String, units: [ServiceFile], host: String) throws -> [LiveService] {
    var lines = output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    let manager = lines.isEmpty ? "" : lines.removeFirst()
    switch manager {
    case "systemd":
      let blocks = lines.split(separator: "", omittingEmptySubsequences: true)
      guard blocks.count == units.count else {
        throw ReadError(
          host: host, what: "systemctl show gave \(blocks.count) units for \(units.count)")
      }
      return blocks.map { block in
        var values: [String: String] = [:]
        for line in block {
          guard let equals = line.firstIndex(of: "=") else { continue }
          values[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        let load = values["LoadState"] ?? ""
        return LiveService(
          manager: .systemd, exists: load != "not-found" && !load.isEmpty,
          running: ["active", "activating", "reloading"].contains(values["ActiveState"] ?? ""),
          unitFileState: values["UnitFileState"] ?? "",
          needsDaemonReload: values["NeedDaemonReload"] == "yes")
      }
    case "init":
      let rows = lines.filter { !$0.isEmpty }.map {
        $0.split(separator: "\t", omittingEmptySubsequences: false)
      }
      guard rows.count == units.count, rows.allSatisfy({ $0.count == 4 }) else {
        throw ReadError(host: host, what: "the init scripts' states came back incomplete")
      }
      return rows.map { row in
        LiveService(
          manager: .initScripts, exists: row[1] == "1", running: row[1] == "1" && row[2] == "0",
          unitFileState: row[1] == "1" ? String(row[3]) : "")
      }
    default:
      throw ReadError(
        host: host, what: "its service manager could not be told (got '\(manager.clipped())')")
    }
  }

  struct ReadError: Error, CustomStringConvertible {
    var host: String
    var what: String
    var description: String { "cannot read the services of \(host): \(what)" }
  }
}
