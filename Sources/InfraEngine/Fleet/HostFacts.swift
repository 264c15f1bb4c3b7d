import Foundation
import InfraCore
import InfraTransport

/// What infra knows about a host without being told (Ansible's facts): gathered once per host
/// per run, in the same command as the first thing the run does there, and kept with the run.
///
/// Templates read them as `facts.hostname`, `facts.os.id`, `facts.cpus`...; the run API gives
/// them with ``Run/facts(of:)``, a run's artifacts keep them in `facts/<host>.json`, and
/// `infra hosts --facts HOST` prints them. A fact the host could not tell is absent.
public struct HostFacts: Sendable, Hashable {
  /// The host's own name for itself (`uname -n`), not necessarily its inventory name.
  public var hostname: String?
  /// The user infra connects as (`id -un`).
  public var user: String?
  /// The kernel's name: `Linux`.
  public var kernel: String?
  /// The kernel's release: `6.1.0-18-amd64`.
  public var kernelRelease: String?
  /// The machine's architecture as the kernel names it: `x86_64`, `aarch64`.
  public var architecture: String?
  /// Processors online.
  public var cpus: Int?
  /// Memory in all, in MiB.
  public var memoryMiB: Int?
  /// From os-release: `id` (`debian`), `version` (`12`), `codename` (`bookworm`), `name`,
  /// `pretty_name`, `id_like`.
  public var os: [String: String] = [:]

  /// Facts of a host that told nothing.
  public init() {}

  /// The facts as templates and the artifacts see them.
  public var json: JSONValue {
    var object: [String: JSONValue] = [
      "os": .object(os.mapValues(JSONValue.string))
    ]
    object["hostname"] = hostname.map(JSONValue.string)
    object["user"] = user.map(JSONValue.string)
    object["kernel"] = kernel.map(JSONValue.string)
    object["kernel_release"] = kernelRelease.map(JSONValue.string)
    object["architecture"] = architecture.map(JSONValue.string)
    object["cpus"] = cpus.map(JSONValue.int)
    object["memory_mib"] = memoryMiB.map(JSONValue.int)
    return .object(object)
  }

  /// Facts as `json` wrote them (a run's `facts/<host>.json`).
  public init(json: JSONValue) {
    hostname = json["hostname"]?.stringValue
    user = json["user"]?.stringValue
    kernel = json["kernel"]?.stringValue
    kernelRelease = json["kernel_release"]?.stringValue
    architecture = json["architecture"]?.stringValue
    cpus = json["cpus"]?.intValue
    memoryMiB = json["memory_mib"]?.intValue
    os = json["os"]?.objectValue?.compactMapValues(\.stringValue) ?? [:]
  }

  /// The commands that print the facts, one `KEY<TAB>VALUE` line each: three small programs
  /// and the shell's own `read`, reading nothing on standard input and printing no errors.
  static let script =
    #"{ printf 'uname\t%s\n' "$(uname -snrm)"; printf 'cpus\t%s\n' "$(getconf _NPROCESSORS_ONLN)"; printf 'user\t%s\n' "$(id -un)"; while IFS= read -r l; do case $l in MemTotal:*) printf 'mem\t%s\n' "$l";; esac; done </proc/meminfo; for f in /etc/os-release /usr/lib/os-release; do if [ -r "$f" ]; then while IFS= read -r l; do printf 'os\t%s\n' "$l"; done <"$f"; break; fi; done; } </dev/null 2>/dev/null;"#

  /// The facts in what `script` printed.
  static func parse(_ text: Substring) -> HostFacts {
    var facts = HostFacts()
    let osKeys = [
      "ID": "id", "VERSION_ID": "version", "VERSION_CODENAME": "codename", "NAME": "name",
      "PRETTY_NAME": "pretty_name", "ID_LIKE": "id_like",
    ]
    for line in text.split(separator: "\n") {
      let parts = line.split(separator: "\t", maxSplits: 1, omittingEmptySubsequences: false)
      guard parts.count == 2 else { continue }
      let value = parts[1]
      switch parts[0] {
      case "uname":
        // `uname -snrm`: name, node, release, machine; none of them holds a space.
        let words = value.split(separator: " ").map(String.init)
        guard words.count == 4 else { continue }
        (facts.kernel, facts.hostname) = (words[0], words[1])
        (facts.kernelRelease, facts.architecture) = (words[2], words[3])
      case "cpus": facts.cpus = Int(value)
      case "user": facts.user = value.isEmpty ? nil : String(value)
      case "mem":
        // `MemTotal:       24597484 kB`
        let kibibytes = value.split(separator: " ").dropFirst().first.flatMap { Int($0) }
        facts.memoryMiB = kibibytes.map { $0 / 1024 }
      case "os":
        let pair = value.split(separator: "=", maxSplits: 1)
        guard pair.count == 2, let key = osKeys[String(pair[0])] else { continue }
        facts.os[key] = unquote(pair[1])
      default: continue
      }
    }
    return facts
  }

  /// An os-release value without its shell quoting: `"Debian GNU/Linux"` → `Debian GNU/Linux`.
  private static func unquote(_ value: Substring) -> String {
    guard value.count >= 2, let first = value.first, first == "\"" || first == "'",
      value.last == first
    else { return String(value) }
    let inner = value.dropFirst().dropLast()
    guard first == "\"" else { return String(inner) }
    var result = ""
    var escaped = false
    for character in inner {
      if escaped || character != "\\" {
        result.append(character)
        escaped = false
      } else {
        escaped = true
      }
    }
    return result
  }
}

/// How a connector gets the facts of the host it works on: awaited, because they arrive with
/// the first command of the run on the host, which another connector may be running.
package struct HostFactsSource: Sendable {
  private let get: @Sendable () async throws -> HostFacts

  package init(_ get: @escaping @Sendable () async throws -> HostFacts) {
    self.get = get
  }

  /// The host's facts, waiting for them if they are being gathered, or gathering them now in a
  /// command of their own if nothing has run on the host yet.
  package func facts() async throws -> HostFacts {
    try await get()
  }

  /// For requests made outside a run: there are no facts to give.
  package static let unavailable = HostFactsSource {
    throw FactsUnavailable(reason: "facts are gathered only in a run")
  }
}

/// Why a host's facts could not be had.
package struct FactsUnavailable: Error, CustomStringConvertible {
  package var reason: String
  package var description: String { "the host's facts could not be gathered: \(reason)" }
}
