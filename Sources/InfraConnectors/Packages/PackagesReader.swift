import Foundation
import InfraCore
import InfraTransport

/// Reads a host's packages in one command: every installed package (`dpkg-query`), the held
/// ones (`apt-mark showhold`) and what the sources offer of the packages named
/// (`apt-cache policy`), after refreshing the package lists when they are older than
/// `cache_valid_time` and the connector says `update_cache: true`.
struct PackagesReader {
  /// Refresh the lists when older than this many seconds; `nil` never refreshes.
  var refreshAfter: Int?

  static let separator = "\u{1E}"
  /// What Debian's and Ubuntu's apt touch after a successful update (and infra does too).
  static let stamp = "/var/lib/apt/periodic/update-success-stamp"

  func script(_ names: [String]) -> ShellScript {
    var script = ShellScript()
    script.append(
      raw:
        "PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH; export LC_ALL=C DEBIAN_FRONTEND=noninteractive")
    script.append(raw: "s=$(printf '\\036')")
    if let refreshAfter {
      script.append(raw: "fresh=")
      if refreshAfter > 0 {
        script.append(
          raw:
            #"t=$(($(date +%s) - \#(refreshAfter))); for f in \#(Self.stamp) /var/lib/apt/lists/*_Packages*; do [ -e "$f" ] && [ "$(stat -c %Y -- "$f")" -gt "$t" ] && fresh=1 && break; done"#
        )
      }
      script.append(
        raw:
          #"if [ -z "$fresh" ]; then if o=$(apt-get -q update 2>&1); then mkdir -p /var/lib/apt/periodic && touch \#(Self.stamp); echo "${s}updated"; else echo "${s}update-failed"; printf '%s\n' "$o" | tail -n 20; exit 0; fi; fi"#
      )
    }
    script.append(
      raw:
        #"echo "${s}status"; dpkg-query -W -f='${Package}\t${binary:Package}\t${Version}\t${db:Status-Abbrev}\n'"#
    )
    script.append(raw: #"echo "${s}holds"; apt-mark showhold"#)
    if !names.isEmpty {
      script.append(raw: #"echo "${s}policy""#)
      script.append(
        ShellCommand("apt-cache", "policy").appending(words: names).appending(raw: "2>/dev/null"))
    }
    return script
  }

  struct Live {
    var packages: [String: LivePackage] = [:]
    var updated = false
  }

  func read(_ names: [String], through transport: any Transport) async throws -> Live {
    let result = try await transport.run(script(names))
    try result.check(ShellScript.interpreter, on: transport.host.name)
    let output = result.stdoutText
    if let failed = output.range(of: Self.separator + "update-failed\n") {
      throw UpdateFailed(
        host: transport.host.name,
        output: String(output[failed.upperBound...]).trimmingCharacters(in: .whitespacesAndNewlines)
      )
    }
    return Self.parse(output, names: names)
  }

  struct UpdateFailed: Error, CustomStringConvertible {
    var host: String
    var output: String
    var description: String {
      "apt-get update failed on \(host), so what the sources offer is not known"
        + (output.isEmpty ? "" : ": \(output)")
    }
  }

  static func parse(_ output: String, names: [String]) -> Live {
    var live = Live()
    var section = ""
    var installed: [String: String] = [:]
    var held: Set<String> = []
    var policies: [String: (candidate: String?, offered: [String])] = [:]
    var current: String?
    var version: String?
    for line in output.split(separator: "\n", omittingEmptySubsequences: true).map(String.init) {
      if line.hasPrefix(separator) {
        section = String(line.dropFirst())
        if section == "updated" { live.updated = true }
        continue
      }
      switch section {
      case "status":
        let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        guard fields.count == 4 else { continue }
        // ii, hi, iU, iF, iW, it, iH: a version is on the system; rc, un: not installed.
        let status = Array(fields[3])
        guard status.count >= 2, "iUFWtH".contains(status[1]) else { continue }
        installed[fields[0]] = fields[2]
        installed[fields[1]] = fields[2]
        if status[0] == "h" { held.formUnion([fields[0], fields[1]]) }
      case "holds":
        held.insert(line.trimmingCharacters(in: .whitespaces))
      case "policy":
        if !line.hasPrefix(" "), line.hasSuffix(":") {
          current = String(line.dropLast())
          policies[current!] = (nil, [])
          version = nil
        } else if let name = current {
          parsePolicy(line, into: &policies[name, default: (nil, [])], version: &version)
        }
      default: continue
      }
    }
    for name in names {
      let policy = policies[name]
      live.packages[name] = LivePackage(
        name: name, installed: installed[name], held: held.contains(name),
        candidate: policy?.candidate, offered: policy?.offered ?? [])
    }
    return live
  }

  /// One line of a package's `apt-cache policy` block.
  private static func parsePolicy(
    _ line: String, into policy: inout (candidate: String?, offered: [String]),
    version: inout String?
  ) {
    let trimmed = line.trimmingCharacters(in: .whitespaces)
    if trimmed.hasPrefix("Candidate:") {
      let value = trimmed.dropFirst("Candidate:".count).trimmingCharacters(in: .whitespaces)
      policy.candidate = value == "(none)" ? nil : value
      return
    }
    if trimmed.hasPrefix("Installed:") || trimmed.hasPrefix("Version table:") { return }
    let words = trimmed.split(separator: " ").map(String.init)
    // A version line: `2.0 500`, or `*** 1.0 500` for the installed one (five spaces in).
    let indent = line.prefix { $0 == " " }.count
    if indent <= 5, words.count >= 2 {
      version = words[0] == "***" ? words[1] : words[0]
      return
    }
    // A source line of that version (eight spaces in): `500 file:/srv/repo ./ Packages`.
    if let version, words.count >= 2, words[1] != "/var/lib/dpkg/status",
      !policy.offered.contains(version)
    {
      policy.offered.append(version)
    }
  }
}
