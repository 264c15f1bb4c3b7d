import Foundation
import InfraTestSupport
import InfraTransport
import Testing

@testable import InfraConnectors

/// The pieces of the packages, users, groups and services connectors that read what hosts say
/// and order versions, against real outputs of Debian 12's tools.
@Suite struct SystemConnectorsUnitTests {
  /// Versions ordered as dpkg orders them, checked against `dpkg --compare-versions` itself
  /// for random versions made of the parts that matter (epochs, `~`, letters, digit runs).
  @Test func versionsAreOrderedAsDpkgOrdersThem() async throws {
    var random = SeededGenerator(seed: 20_261_207)
    let parts = ["0", "1", "01", "2", "10", "a", "b", "~", "~~", "+", ".", "rc1", "-1", "-0", "1:"]
    func version() -> String {
      var text = ["0", "1", "2", "10"].randomElement(using: &random)!
      for _ in 0..<Int.random(in: 0...4, using: &random) {
        let part = parts.randomElement(using: &random)!
        if part == "1:" { text = "1:" + text } else { text += part }
      }
      return text
    }
    let pairs =
      (0..<400).map { _ in (version(), version()) }
      + [
        ("1.0", "1.0-1"), ("1.0~rc1", "1.0"), ("1:0.9", "2.0"), ("2.10-3", "2.9-3"),
        ("1.01", "1.1"),
      ]
    let folder = try TemporaryFolder("versions")
    let script = pairs.map { a, b in
      "if dpkg --compare-versions '\(a)' lt '\(b)'; then echo lt; elif dpkg --compare-versions '\(a)' eq '\(b)'; then echo eq; else echo gt; fi"
    }.joined(separator: "\n")
    let output = folder.appending("out").path
    let scriptFile = try folder.write("compare.sh", script + "\n").path
    #expect(try await ChildProcess.runToEnd("/bin/sh", [scriptFile], stdout: output) == 0)
    let answers = try String(contentsOfFile: output, encoding: .utf8).split(separator: "\n")
    #expect(answers.count == pairs.count)
    for ((a, b), answer) in zip(pairs, answers) {
      let ours =
        DebianVersion(a) < DebianVersion(b)
        ? "lt" : DebianVersion(a) == DebianVersion(b) ? "eq" : "gt"
      #expect(ours == String(answer), "\(a) vs \(b)")
    }
  }

  @Test func packagesAreReadFromDpkgAptMarkAndAptCache() {
    let output = """
      \u{1E}status
      infra-hello\tinfra-hello\t1.0\tii 
      infra-gone\tinfra-gone\t0.5\trc 
      libfoo\tlibfoo:amd64\t3.1-2\thi 
      \u{1E}holds
      libfoo
      \u{1E}policy
      infra-hello:
        Installed: 1.0
        Candidate: 2.0
        Version table:
           2.0 500
              500 file:/srv/infra-repo ./ Packages
       *** 1.0 100
              100 /var/lib/dpkg/status
      infra-new:
        Installed: (none)
        Candidate: 0.3-1
        Version table:
           0.3-1 500
              500 file:/srv/infra-repo ./ Packages

      """
    let live = PackagesReader.parse(
      output, names: ["infra-hello", "infra-gone", "libfoo", "infra-new", "infra-nowhere"])
    #expect(
      live.packages["infra-hello"]
        == LivePackage(name: "infra-hello", installed: "1.0", candidate: "2.0", offered: ["2.0"]))
    #expect(live.packages["infra-gone"] == LivePackage(name: "infra-gone"))
    #expect(live.packages["libfoo"] == LivePackage(name: "libfoo", installed: "3.1-2", held: true))
    #expect(
      live.packages["infra-new"]
        == LivePackage(name: "infra-new", candidate: "0.3-1", offered: ["0.3-1"]))
    #expect(live.packages["infra-nowhere"] == LivePackage(name: "infra-nowhere"))
  }

  @Test func unitsAreReadFromSystemctlShowAndFromInitScripts() throws {
    let units = ["nginx.service", "nosuch.service", "getty.target"].map { ServiceFile(name: $0) }
    let systemd = try ServiceReader.parse(
      """
      systemd
      Id=nginx.service
      LoadState=loaded
      ActiveState=active
      UnitFileState=enabled
      NeedDaemonReload=no

      Id=nosuch.service
      LoadState=not-found
      ActiveState=inactive
      UnitFileState=
      NeedDaemonReload=no

      Id=getty.target
      LoadState=loaded
      ActiveState=inactive
      UnitFileState=static
      NeedDaemonReload=yes

      """, units: units, host: "web")
    #expect(systemd.map(\.exists) == [true, false, true])
    #expect(systemd.map(\.running) == [true, false, false])
    #expect(systemd.map(\.isEnabled) == [true, false, false])
    #expect(systemd.map(\.cannotEnable) == [false, false, true])
    #expect(systemd.map(\.needsDaemonReload) == [false, false, true])
    let scripts = try ServiceReader.parse(
      "init\nnginx\t1\t0\tenabled\nnosuch\t0\t-\t-\ngetty.target\t1\t3\tdisabled\n", units: units,
      host: "web")
    #expect(scripts.map(\.exists) == [true, false, true])
    #expect(scripts.map(\.running) == [true, false, false])
    #expect(scripts.map(\.isEnabled) == [true, false, false])
    #expect(throws: ServiceReader.ReadError.self) {
      try ServiceReader.parse("systemd\nId=nginx.service\n", units: units, host: "web")
    }
  }

  @Test func accountsAreReadFromGetent() {
    let keys = Data("ssh-ed25519 AAAA one\n".utf8).base64EncodedString()
    let accounts = AccountsReader.parse(
      """
      \u{1E}passwd
      root:x:0:0:root:/root:/bin/bash
      deploy:x:2501:2500:Deploy "x"; $(id):/home/deploy:/bin/sh
      \u{1E}group
      deployers:x:2500:
      ops:x:2502:deploy,alice
      \u{1E}shadow
      deploy:!$y$j9T$abc
      \u{1E}defs
      UID_MIN\t\t\t 1000
      \u{1E}keys\tdeploy\t700:deploy:deployers:directory\t600:deploy:deployers:regular file\t\(keys)

      """)
    let deploy = accounts.users["deploy"]
    #expect(deploy?.comment == #"Deploy "x"; $(id)"#)
    #expect(accounts.group(gid: 2500)?.name == "deployers")
    #expect(accounts.supplementaryGroups(of: "deploy") == ["ops"])
    #expect(accounts.isLocked("deploy") == true)
    #expect(accounts.isLocked("root") == nil)
    #expect(accounts.definitions["UID_MIN"] == 1000)
    #expect(accounts.keys["deploy"]?.content == "ssh-ed25519 AAAA one\n")
    #expect(
      UserPlanner.keysMatch(accounts.keys["deploy"]!, "ssh-ed25519 AAAA one\n", "deploy"))
  }
}
