import Foundation
import InfraCore
import InfraTransport

/// One non-interactive `apt-get install` of every action of a host's ops: installs as
/// `name=version`, removals as `name-`; configuration files kept (`--force-confold`); the dpkg
/// lock waited on for `lockTimeout` seconds; simulated (`-s`) when the plan asks what apt
/// would do besides.
struct AptInstall {
  var actions: [PackageAction]
  var allowDowngrade = false
  var allowHeld = false
  var startServices = false
  var options: PackagesConnector.Options

  init(_ ops: [PackagesOp], options: PackagesConnector.Options) {
    actions = ops.flatMap(\.actions)
    allowDowngrade = ops.contains {
      $0.allowDowngrade && $0.actions.contains { $0.kind == .downgrade }
    }
    allowHeld = ops.contains { $0.allowHeld }
    // One install: services start only when every file asks for it.
    startServices = ops.allSatisfy(\.startServices)
    self.options = options
  }

  func argv(simulate: Bool) -> [String] {
    var argv = [
      "apt-get", "-q", "-y", "-o", "DPkg::Lock::Timeout=\(options.lockTimeout)", "-o",
      "Dpkg::Options::=--force-confdef", "-o", "Dpkg::Options::=--force-confold",
    ]
    if allowDowngrade { argv.append("--allow-downgrades") }
    if allowHeld { argv.append("--allow-change-held-packages") }
    if let recommends = options.installRecommends {
      argv.append(recommends ? "--install-recommends" : "--no-install-recommends")
    }
    if options.purge { argv.append("--purge") }
    if simulate { argv.append("-s") }
    return argv + ["install"] + actions.map(\.argument)
  }

  static let environment =
    "PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH; export LC_ALL=C DEBIAN_FRONTEND=noninteractive"

  /// The install as one shell command. Unless the files say `start_services: true`, a
  /// `policy-rc.d` that refuses every start is in place while it runs (Debian's way to keep a
  /// package's postinst from starting its service), then removed; one a killed run left
  /// behind is known by its marker and removed first. apt lifts the hold of a package it
  /// changes: every package held before is held again afterwards, whether the install
  /// succeeded or not.
  var command: String {
    let install = ShellCommand(words: argv(simulate: false)).string
    var lines = [
      Self.environment,
      "p=/usr/sbin/policy-rc.d",
      #"if grep -qs '^# infra-policy-rc' "$p"; then rm -f "$p"; fi"#,
    ]
    if !startServices {
      lines.append(
        #"if [ ! -e "$p" ]; then printf '#!/bin/sh\n# infra-policy-rc: no service starts while infra installs packages\nexit 101\n' >"$p" && chmod 755 "$p" && trap 'rm -f "$p"' EXIT && trap 'exit 1' INT TERM HUP; fi"#
      )
    }
    // Holds can change only when apt is allowed to change held packages.
    let held = allowHeld
    if held { lines.append("held=$(apt-mark showhold)") }
    lines.append(install + "; rc=$?")
    if held {
      lines.append(#"if [ -n "$held" ]; then apt-mark hold $held >/dev/null; fi"#)
    }
    lines.append("exit $rc")
    return lines.joined(separator: "\n")
  }

  /// What apt would do, as `Inst` and `Remv` lines of `apt-get -s` tell.
  struct Simulated {
    var installs: [(name: String, version: String)] = []
    var removals: [(name: String, version: String)] = []
  }

  func simulate(through transport: any Transport) async throws -> Result<
    Simulated, SimulationFailed
  > {
    var script = ShellScript()
    script.append(raw: Self.environment)
    script.append(ShellCommand(words: argv(simulate: true)).appending(raw: "2>&1"))
    let result = try await transport.run(script)
    guard result.succeeded else {
      let lines = result.stdoutText.split(separator: "\n").filter {
        $0.hasPrefix("E:") || $0.hasPrefix(" ") || $0.contains("Depends:")
      }
      return .failure(
        SimulationFailed(
          output: (lines.isEmpty
            ? result.stdoutText.split(separator: "\n").suffix(5) : lines.suffix(12))
            .joined(separator: "\n")))
    }
    var simulated = Simulated()
    for line in result.stdoutText.split(separator: "\n") {
      let words = line.split(separator: " ").map(String.init)
      guard words.count >= 3 else { continue }
      if words[0] == "Inst" {
        // Inst NAME [OLD] (NEW SOURCE [ARCH])
        let new = words.first { $0.hasPrefix("(") }.map { String($0.dropFirst()) } ?? ""
        simulated.installs.append((words[1], new))
      } else if words[0] == "Remv" {
        simulated.removals.append(
          (words[1], words[2].trimmingCharacters(in: CharacterSet(charactersIn: "[]"))))
      }
    }
    return .success(simulated)
  }

  struct SimulationFailed: Error {
    var output: String
  }
}
