import Foundation
import InfraCore
import InfraEngine
import InfraTransport

/// `infra import` for services: a file for each enabled service of a host (or each unit
/// named), saying it is enabled and running or stopped as it is now, so the next plan is clean.
struct ServicesImporter {
  var targets: HostTargets
  var host: String

  /// The enabled services, as systemd or the runlevel links name them; templates left out.
  static let enabledScript = ShellScript([
    "PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH; export LC_ALL=C",
    "if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then",
    "systemctl list-unit-files --type=service --state=enabled --no-legend --no-pager | while read -r u s r; do case $u in *@.service) ;; *) echo \"$u\" ;; esac; done",
    "else",
    #"for l in /etc/rc2.d/S[0-9][0-9]*; do [ -e "$l" ] && echo "${l#/etc/rc2.d/S[0-9][0-9]}"; done | sort -u"#,
    "fi",
  ])

  func list(_ names: [String], through transport: any Transport) async throws -> ListResponse {
    var units = names
    var response = ListResponse()
    if units.isEmpty {
      let result = try await transport.run(Self.enabledScript)
      try result.check(ShellScript.interpreter, on: host)
      units = result.stdoutText.split(separator: "\n").map(String.init)
    }
    let files = units.map { ServiceFile(name: ServiceFile.unit($0)) }
    for file in files where !ServiceFile.isValid(file.name) {
      response.skipped.append("\(file.name.clipped()): not a unit name")
    }
    let valid = files.filter { ServiceFile.isValid($0.name) }
    let live = try await ServiceReader.read(valid, through: transport)
    for (file, service) in zip(valid, live) {
      guard service.exists else {
        response.skipped.append("\(file.name): \(host) has no such unit")
        continue
      }
      var lines: [String] = []
      if !service.cannotEnable { lines.append("enabled: \(service.isEnabled)") }
      lines.append("state: \(service.running ? "running" : "stopped")")
      let stem = file.name.hasSuffix(".service") ? file.script : file.name
      let address = Address(
        prefix: targets.prefix, segments: [targets.connector, host, stem + ".yaml"])
      response.files.append((address, Data((lines.joined(separator: "\n") + "\n").utf8)))
    }
    return response
  }
}
