import Foundation
import InfraTestSupport
import InfraTransport
import Testing

/// Examples/server, applied as written to a booted Debian host that has never seen nginx:
/// the real nginx-light package (served offline from the host's own repository), its user,
/// its service and its files, in infra.yaml's order; then the page it serves, a change that
/// reloads it once, and a plan with nothing to do.
@Suite struct ExampleServerEndToEndTests {
  @Test func theExampleServerIsBuiltFromNothing() async throws {
    let host = try await SystemHost()
    let repo = try TemporaryFolder("example-server")
    let example = Infra.projectRoot.appending(path: "Examples/server")
    try FileManager.default.removeItem(at: repo.url)
    try FileManager.default.copyItem(at: example, to: repo.url)
    // The example's own host, pointed at the test host, nginx on a free port of 127.0.0.1.
    let port = try SSHServer.freePort()
    let config = try String(contentsOf: repo.appending("infra.yaml"), encoding: .utf8)
    let start = try #require(config.range(of: "hosts:\n"))
    let end = try #require(config.range(of: "defaults:\n"))
    var hostEntry = host.hostYAML("web1")
    hostEntry = hostEntry.replacingOccurrences(
      of: "    sudo: true\n", with: "    sudo: true\n    groups: [web]\n")
    hostEntry = hostEntry.replacingOccurrences(
      of: "      ssh_connect_timeout: 120\n",
      with: "      ssh_connect_timeout: 120\n      listen: 127.0.0.1:\(port)\n")
    try repo.write(
      "infra.yaml",
      config.replacingCharacters(in: start.upperBound..<end.lowerBound, with: hostEntry))
    // nginx-light and what it needs that the host lacks, fetched when the root was made.
    let debs = host.rootFileSystem + "/var/cache/infra-test-debs"
    for deb in try FileManager.default.contentsOfDirectory(atPath: debs) where deb.hasSuffix(".deb")
    {
      try FileManager.default.copyItem(
        atPath: debs + "/" + deb, toPath: host.repository.appending(path: deb).path)
    }
    try await AptRepository(host.repository).publish([])

    let plan = try await Infra.run(["plan"], in: repo.url)
    #expect(plan.code == 0, "\(plan)")
    #expect(plan.stdout.contains("install nginx-light"), "\(plan)")
    #expect(plan.stdout.contains("enable and start nginx.service"), "\(plan)")
    let apply = try await Infra.run(["apply", "--yes"], in: repo.url)
    #expect(apply.code == 0, "\(apply)")
    #expect(try await served(port) == "<h1>web1 says hello</h1>\n")
    #expect(
      try await host.must("stat -c '%U:%G %a' /srv/www /srv/www/index.html")
        == "deploy:deployers 755\ndeploy:deployers 644")
    let quiet = try await Infra.run(["plan", "--detailed-exitcode"], in: repo.url)
    #expect(quiet.code == 0, "\(quiet)")

    // A configuration change: checked by nginx, then one reload, and nginx serves what it says.
    let nginxConf = "resources/prod/files/@web/etc/nginx/nginx.conf.mustache"
    let conf = try repo.readText(nginxConf)
    try repo.write(
      nginxConf,
      conf.replacingOccurrences(
        of: "    index index.html;\n",
        with: "    index index.html;\n    add_header X-Served-By infra;\n"))
    let reload = try await Infra.run(["apply", "--yes"], in: repo.url)
    #expect(reload.code == 0, "\(reload)")
    #expect(reload.stdout.contains("reload nginx.service"), "\(reload)")
    #expect(
      reload.stdout.contains("checked with `nginx -t -q -c %s` before it replaces the file"),
      "\(reload)")
    #expect(try await header(port).contains("X-Served-By: infra"))
    #expect(try await Infra.run(["plan", "--detailed-exitcode"], in: repo.url).code == 0)
    await host.shutdown()
  }

  /// The page nginx serves once it answers: it starts when the apply ends, and a reload takes
  /// effect once its new workers are up; waited for, within a bound.
  private func served(_ port: Int) async throws -> String {
    try await fetch(port, ["-s"]) { _ in true }
  }

  private func header(_ port: Int) async throws -> String {
    try await fetch(port, ["-s", "-D", "-", "-o", "/dev/null"]) { $0.contains("X-Served-By") }
  }

  private func fetch(_ port: Int, _ options: [String], until done: (String) -> Bool) async throws
    -> String
  {
    let scratch = try TemporaryFolder("curl")
    var last = ""
    for _ in 0..<600 {
      // Programs' output is appended to its file: each attempt starts from none.
      try? FileManager.default.removeItem(at: scratch.appending("out"))
      let code = try await ChildProcess.runToEnd(
        "/usr/bin/curl", options + ["--max-time", "10", "http://127.0.0.1:\(port)/"],
        stdout: scratch.appending("out").path, stderr: scratch.appending("err").path)
      last = (try? scratch.readText("out")) ?? ""
      if code == 0, done(last) { return last }
      try await Task.sleep(for: .milliseconds(100))
    }
    return last
  }
}
