import Foundation
import InfraCore
import InfraTestSupport
import Testing

/// `validate:` checks a staged file before it replaces the target, and `on_change:` runs
/// commands once per host after the changes that name them (Ansible's handlers): locally with
/// either writer, over SSH, and with a real nginx.
@Suite struct ChecksAndHooksEndToEndTests {
  enum Reach: String, CaseIterable, Sendable {
    case local
    case localShellWriter
    case ssh
  }

  static let check = #"grep -q good %s || { echo "no good in $(cat %s)"; exit 3; }"#

  @Test(arguments: Reach.allCases)
  func aFailingCheckKeepsTheOldFileAndAHookRunsOnce(_ reach: Reach) async throws {
    let host = try FilesHost(
      "hooks", overSSH: reach == .ssh, options: reach == .localShellWriter ? ", writer: shell" : "")
    let (repo, target) = (host.repo, host.target)
    let log = target.appending("hook.log").path
    func attributes(_ onChange: String) throws {
      try repo.write(
        "resources/p/files/box/app/.infra-attrs.yaml",
        "validate: '\(Self.check)'\non_change: \(onChange)\n")
    }
    try attributes("[echo ran >> \(log), echo then >> \(log)]")
    for (name, content) in [
      ("a.conf", "good 1\n"), ("b.conf", "good b1\n"), ("c.conf", "good c1\n"),
    ] {
      try repo.write("resources/p/files/box/app/\(name)", content)
    }
    try repo.write("resources/p/files/box/zz/last", "last\n")

    let plan = try await Infra.run(["plan"], in: repo.url)
    #expect(plan.code == 0, "\(plan)")
    #expect(plan.stdout.components(separatedBy: "then: echo ran >> \(log)").count == 2, "\(plan)")
    #expect(plan.stdout.contains("checked with `\(Self.check)` before it replaces the file"))
    let first = try await Infra.run(["apply", "--yes"], in: repo.url)
    #expect(first.code == 0, "\(first)")
    #expect(try target.readText("hook.log") == "ran\nthen\n", "once, in the declared order")
    let noChange = try await Infra.run(["apply", "--yes"], in: repo.url)
    #expect(noChange.code == 0 && noChange.stdout.contains("No changes"), "\(noChange)")
    #expect(try target.readText("hook.log") == "ran\nthen\n", "nothing runs on a no-op")

    // A content that fails its check: the file keeps its content, the host stops there.
    let before = try sha256(target.appending("app/a.conf"))
    try repo.write("resources/p/files/box/app/a.conf", "bad\n")
    try repo.write("resources/p/files/box/app/b.conf", "good b2\n")
    let failed = try await Infra.run(["apply", "--yes"], in: repo.url)
    #expect(failed.code == 1, "\(failed)")
    #expect(
      failed.stdout.contains("app/a.conf: its check failed (exit 3), so it was not replaced"),
      "\(failed)")
    #expect(failed.stdout.contains("no good in bad"), "the check's own output: \(failed)")
    #expect(try sha256(target.appending("app/a.conf")) == before)
    #expect(try target.readText("app/b.conf") == "good b1\n", "the host's later ops did not run")
    #expect(try target.readText("hook.log") == "ran\nthen\n")
    let left = try FileManager.default.contentsOfDirectory(atPath: target.appending("app").path)
    #expect(!left.contains { $0.hasPrefix(".infra-tmp") }, "\(left)")

    try repo.write("resources/p/files/box/app/a.conf", "good 2\n")
    let fixed = try await Infra.run(["apply", "--yes"], in: repo.url)
    #expect(fixed.code == 0, "\(fixed)")
    #expect(try target.readText("app/b.conf") == "good b2\n")
    #expect(try target.readText("hook.log") == "ran\nthen\nran\nthen\n")

    // A command that fails is reported as the failure of the op that carried it.
    try attributes("'echo broken out; exit 7'")
    try repo.write("resources/p/files/box/app/c.conf", "good c2\n")
    let broken = try await Infra.run(["apply", "--yes"], in: repo.url)
    #expect(broken.code == 1, "\(broken)")
    #expect(
      broken.stdout.contains("then `echo broken out; exit 7` failed (exit 7): broken out"),
      "\(broken)")
    #expect(try target.readText("app/c.conf") == "good c2\n", "its change was applied")
    withExtendedLifetime(host) {}
  }

  /// Writes are put in place in groups, but a check sees every file written before it in
  /// place (a server's main configuration checked with the sites written just before it).
  @Test(arguments: Reach.allCases)
  func aCheckSeesTheFilesWrittenBeforeIt(_ reach: Reach) async throws {
    let host = try FilesHost(
      "checks-order", overSSH: reach == .ssh,
      options: reach == .localShellWriter ? ", writer: shell" : "")
    let (repo, target) = (host.repo, host.target)
    let site = target.appending("app/1-site.conf").path
    try repo.write(
      "resources/p/files/box/app/.infra-attrs.yaml",
      "files:\n  main.conf: { validate: 'grep -q \"site v$(cat %s)\" \(site)' }\n")
    for version in 1...2 {
      try repo.write("resources/p/files/box/app/1-site.conf", "site v\(version)\n")
      try repo.write("resources/p/files/box/app/main.conf", "\(version)\n")
      let apply = try await Infra.run(["apply", "--yes"], in: repo.url)
      #expect(apply.code == 0, "\(apply)")
      #expect(try target.readText("app/main.conf") == "\(version)\n")
    }
    withExtendedLifetime(host) {}
  }

  @Test func aCheckThatNamesNoFileIsAnError() async throws {
    let repo = try FilesHost("checks-invalid").repo
    try repo.write("resources/p/files/box/etc/app.conf", "x\n")
    try repo.write(
      "resources/p/files/box/etc/.infra-attrs.yaml",
      "files:\n  app.conf: { validate: nginx -t, on_change: [reload, ''] }\n")
    let run = try await Infra.run(["validate"], in: repo.url)
    #expect(run.code == 1, "\(run)")
    #expect(
      run.stderr.contains(
        "resources/p/files/box/etc/.infra-attrs.yaml:2:25: error: 'validate' must name the staged file as %s"
      ), "\(run)")
    #expect(
      run.stderr.contains(
        "resources/p/files/box/etc/.infra-attrs.yaml:2:55: error: 'on_change' has an empty command"
      ), "\(run)")
  }

  /// A configuration of a real nginx: checked with `nginx -t -c %s` before it is installed,
  /// nginx reloaded once it changed, and the page it serves changing with it; a broken one is
  /// never installed, and nginx goes on serving.
  @Test func anNginxConfigurationIsCheckedAndReloaded() async throws {
    func config(_ body: String) -> (Int) -> String {
      { port in
        """
        events {}
        http {
          access_log off;
          server {
            listen 127.0.0.1:\(port);
            location / { default_type text/plain; return 200 "\(body)\\n"; }
          }
        }

        """
      }
    }
    let nginx = try NginxServer(config: config("version 1"))
    #expect(try nginx.get() == "version 1\n")
    let repo = try TemporaryFolder("nginx-repo")
    let locks = try TemporaryFolder("nginx-locks")
    try repo.write(
      "infra.yaml",
      """
      version: 1
      hosts:
        web: { connect: local }
      locks: { folder: \(locks.path) }
      prefixes:
        p:
          connectors:
            - { name: files, options: { root: \(nginx.folder.path) } }
      """)
    try repo.write(
      "resources/p/files/web/conf/.infra-attrs.yaml",
      """
      files:
        nginx.conf:
          validate: "\(nginx.checkCommand)"
          on_change: "\(nginx.reloadCommand)"

      """)
    try repo.write("resources/p/files/web/conf/nginx.conf", config("version 2")(nginx.port))
    let apply = try await Infra.run(["apply", "--yes"], in: repo.url)
    #expect(apply.code == 0, "\(apply)")
    #expect(try await served(by: nginx, becomes: "version 2\n"))

    let installed = try sha256(URL(filePath: nginx.configPath))
    try repo.write(
      "resources/p/files/web/conf/nginx.conf",
      config("version 3")(nginx.port).replacingOccurrences(of: "events {}", with: "events {"))
    let broken = try await Infra.run(["apply", "--yes"], in: repo.url)
    #expect(broken.code == 1, "\(broken)")
    #expect(broken.stdout.contains("its check failed (exit 1)"), "\(broken)")
    #expect(broken.stdout.contains("[emerg]"), "nginx's own words: \(broken)")
    #expect(try sha256(URL(filePath: nginx.configPath)) == installed)
    #expect(try nginx.get() == "version 2\n")
  }

  /// Whether nginx serves `body` within a bound: a reload takes effect once its new workers
  /// are up, an event a test waits for rather than a time it guesses.
  private func served(by nginx: NginxServer, becomes body: String) async throws -> Bool {
    for _ in 0..<600 {
      if (try? nginx.get()) == body { return true }
      try await Task.sleep(for: .milliseconds(50))
    }
    return false
  }

  private func sha256(_ url: URL) throws -> String {
    SHA256Hex.of(try Data(contentsOf: url))
  }
}
