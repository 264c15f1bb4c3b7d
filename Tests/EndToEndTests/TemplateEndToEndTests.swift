import Foundation
import InfraTestSupport
import InfraTransport
import Testing

/// `.mustache` resource files rendered per host with its name, groups, data and facts, as
/// `infra plan` and `infra apply` see them, locally and over SSH (two hosts through one sshd).
@Suite struct TemplateEndToEndTests {
  let repo: TemporaryFolder
  let web: TemporaryFolder
  let db: TemporaryFolder
  /// The hosts' apply locks: a folder of this test's own, so parallel tests never meet.
  let locks: TemporaryFolder

  init() throws {
    repo = try TemporaryFolder("templates")
    web = try TemporaryFolder("templates-web")
    db = try TemporaryFolder("templates-db")
    locks = try TemporaryFolder("templates-locks")
  }

  /// Two hosts, each with a files connector of its own root (`hosts:`), both holding the same
  /// template; `data` goes into web1's data (`admin: x`). With `server`, both hosts are
  /// reached over SSH through it, as its login user, who gets the roots and the locks.
  func writeRepository(template: String, data: String = "", server: SSHServer? = nil) throws {
    var hosts = """
        web1: { connect: local, groups: [web]\(data.isEmpty ? "" : ", data: { \(data) }") }
        db1: { connect: local }
      """
    if let server {
      let ssh = { (more: String) in
        "{ ssh_identity_file: \(server.clientKey), ssh_known_hosts_file: \(server.knownHosts), ssh_connect_timeout: 120, ssh_persist: 0\(more) }"
      }
      let connect = "ssh://\(SSHServer.loginUser)@127.0.0.1:\(server.port)"
      hosts = """
          web1: { connect: "\(connect)", groups: [web], data: \(ssh(data.isEmpty ? "" : ", " + data)) }
          db1: { connect: "\(connect)", data: \(ssh("")) }
        """
      for folder in [web, db, locks] { try SSHServer.giveAway(folder, to: SSHServer.loginUser) }
      for folder in [web, db, locks] { chmod(folder.path, 0o755) }
    }
    try repo.write(
      "infra.yaml",
      """
      version: 1
      defaults:
        data: { tier: basic, ports: [80] }
      groups:
        web: { data: { tier: frontend, ports: [80, 443] } }
      hosts:
      \(hosts)
      locks: { folder: \(locks.path) }
      prefixes:
        w:
          connectors:
            - { name: files, hosts: [web1], options: { root: \(web.path) } }
        d:
          connectors:
            - { name: files, hosts: [db1], options: { root: \(db.path) } }
      """)
    for prefix in ["w", "d"] {
      try repo.write("resources/\(prefix)/files/@all/etc/motd.mustache", template)
    }
  }

  static let motd = """
    {{host}} ({{#groups}}@{{.}} {{/groups}}) is {{tier}} on {{facts.os.id}}, {{facts.cpus}} CPUs
    {{#ports}}
    listen {{.}}
    {{/ports}}
    {{#admin}}admin {{admin}}{{/admin}}{{^admin}}no admin{{/admin}}

    """

  @Test(arguments: [false, true])
  func aTemplateRendersPerHostAndReplansClean(overSSH: Bool) async throws {
    let server = overSSH ? try SSHServer() : nil
    try writeRepository(template: Self.motd, data: "admin: \"ann & bob\"", server: server)
    let osID = try osRelease("ID")
    let cpus = ProcessInfo.processInfo.activeProcessorCount
    let plan = try await Infra.run(["plan"], in: repo.url)
    #expect(plan.code == 0, "\(plan)")
    #expect(plan.stdout.contains("create \(web.path)/etc/motd: 4 lines"), "\(plan)")
    #expect(plan.stdout.contains("motd.mustache (rendered for web1)"), "\(plan)")
    let apply = try await Infra.run(["apply", "--yes"], in: repo.url)
    #expect(apply.code == 0, "\(apply)")
    #expect(
      try web.readText("etc/motd") == """
        web1 (@web @all ) is frontend on \(osID), \(cpus) CPUs
        listen 80
        listen 443
        admin ann & bob

        """)
    #expect(
      try db.readText("etc/motd") == """
        db1 (@all ) is basic on \(osID), \(cpus) CPUs
        listen 80
        no admin

        """)
    let again = try await Infra.run(["plan", "--detailed-exitcode"], in: repo.url)
    #expect(again.code == 0 && again.stdout.contains("2 unchanged"), "\(again)")

    // A change of data changes what renders, and the plan shows it as a diff of the output.
    try repo.write(
      "infra.yaml",
      try repo.readText("infra.yaml").replacingOccurrences(of: "tier: basic", with: "tier: gold"))
    let changed = try await Infra.run(["plan"], in: repo.url)
    #expect(changed.stdout.contains("-db1 (@all ) is basic"), "\(changed)")
    #expect(changed.stdout.contains("+db1 (@all ) is gold"), "\(changed)")
    #expect(changed.stdout.contains("1 to update") && changed.stdout.contains("1 unchanged"))

    // Saved, the plan applies in a process of its own: the template is rendered again there.
    let saved = try await Infra.run(["plan", "--out", "gold.plan"], in: repo.url)
    #expect(saved.code == 0, "\(saved)")
    let applied = try await Infra.run(["apply", "gold.plan"], in: repo.url)
    #expect(applied.code == 0, "\(applied)")
    #expect(try db.readText("etc/motd").hasPrefix("db1 (@all ) is gold"))
    withExtendedLifetime(server) {}
  }

  @Test(arguments: [false, true])
  func aMissingValueIsAnErrorInTheTemplateNamingTheHost(overSSH: Bool) async throws {
    let server = overSSH ? try SSHServer() : nil
    try writeRepository(template: "motd\n  owner {{owner}}\n", server: server)
    let validate = try await Infra.run(["validate"], in: repo.url)
    #expect(validate.code == 0, "the data is known per host at plan time only: \(validate)")
    let plan = try await Infra.run(["plan"], in: repo.url)
    #expect(plan.code == 1, "\(plan)")
    for (prefix, host) in [("w", "web1"), ("d", "db1")] {
      #expect(
        plan.stdout.contains(
          "resources/\(prefix)/files/@all/etc/motd.mustache:2:9: {{owner}} is not set for host \(host)"
        ), "\(plan)")
    }
    #expect(!FileManager.default.fileExists(atPath: db.url.appending(path: "etc/motd").path))

    // Its syntax is checked without any host.
    try writeRepository(template: "ok\n{{#ports}}listen {{.}}\n", server: server)
    let broken = try await Infra.run(["validate"], in: repo.url)
    #expect(broken.code == 1, "\(broken)")
    #expect(
      broken.stderr.contains(
        "resources/w/files/@all/etc/motd.mustache:2:1: error: {{#ports}} is never closed"),
      "\(broken)")
    withExtendedLifetime(server) {}
  }

  /// `template:` in `.infra-attrs.yaml` makes any file a template, or a `.mustache` file not.
  @Test func settingsChooseWhatIsATemplate() async throws {
    try writeRepository(template: "{{host}}\n")
    try repo.write("resources/w/files/@all/etc/app.conf", "for {{host}}\n")
    try repo.write("resources/w/files/@all/etc/raw.mustache", "kept {{host}}\n")
    try repo.write(
      "resources/w/files/@all/etc/.infra-attrs.yaml",
      "files:\n  app.conf: { template: true }\n  raw.mustache: { template: false }\n")
    let apply = try await Infra.run(["apply", "--yes"], in: repo.url)
    #expect(apply.code == 0, "\(apply)")
    #expect(try web.readText("etc/app.conf") == "for web1\n")
    #expect(try web.readText("etc/raw.mustache") == "kept {{host}}\n")
    #expect(try web.readText("etc/motd") == "web1\n")
    try repo.write("resources/w/files/@all/etc/motd", "plain\n")
    let twice = try await Infra.run(["validate"], in: repo.url)
    #expect(twice.code == 1, "\(twice)")
    #expect(twice.stderr.contains("both declare \(web.path)/etc/motd"), "\(twice)")
  }

  /// A template whose file is an age file renders a file whose content is sensitive: the plan
  /// says that it changes, never how, and nothing the run writes holds the rendered secret.
  @Test func anEncryptedTemplateRendersASensitiveFile() async throws {
    let keys = try TemporaryFolder("templates-keys")
    let identityFile = keys.appending("identity.txt").path
    #expect(try ChildProcess.run("/usr/bin/age-keygen", ["-o", identityFile]) == 0)
    let recipient = try SecretsFixture.output("/usr/bin/age-keygen", ["-y", identityFile])
      .trimmingCharacters(in: .whitespacesAndNewlines)
    try writeRepository(template: "plain {{host}}\n")
    try repo.write(
      "infra.yaml",
      try repo.readText("infra.yaml")
        + "\nsecrets: { identities: [{ file: \(identityFile) }], recipients: [\(recipient)] }\n")
    let secret = "s3cr3t-" + String(Int.random(in: 100_000...999_999))
    let clear = try keys.write("clear", "key=\(secret)-{{host}}\nhost={{host}}\n")
    let encrypted = repo.appending("resources/w/files/@all/etc/app.key.mustache.age").path
    #expect(
      try ChildProcess.run("/usr/bin/age", ["-r", recipient, "-o", encrypted, clear.path]) == 0)
    let plan = try await Infra.run(["plan", "--json"], in: repo.url)
    #expect(plan.code == 0, "\(plan)")
    let shown = try await Infra.run(["plan"], in: repo.url)
    #expect(
      shown.stdout.contains("create \(web.path)/etc/app.key: content (sensitive), mode 0600"),
      "\(shown)")
    let apply = try await Infra.run(["apply", "--yes"], in: repo.url)
    #expect(apply.code == 0, "\(apply)")
    #expect(try web.readText("etc/app.key") == "key=\(secret)-web1\nhost=web1\n")
    var outputs = [plan, shown, apply].flatMap { [$0.stdout, $0.stderr] }
    let runs = repo.appending(".infra/runs")
    for file in FileManager.default.enumerator(atPath: runs.path)?.compactMap({ $0 as? String })
      ?? []
    {
      outputs.append((try? String(contentsOf: runs.appending(path: file), encoding: .utf8)) ?? "")
    }
    #expect(outputs.count > 6)
    for output in outputs { #expect(!output.contains(secret), "\(output)") }
  }

  /// A template that reads a secret of the host's data (`{ secret: { env: … } }` or
  /// `{ secret: { file: ….age } }`) renders a sensitive file; one that reads none does not.
  /// Neither secret is in anything infra prints or keeps, saved plans included.
  @Test(arguments: [false, true])
  func aTemplateReadingASecretOfTheDataIsSensitive(overSSH: Bool) async throws {
    let server = overSSH ? try SSHServer() : nil
    let keys = try TemporaryFolder("templates-secret-keys")
    let identityFile = keys.appending("identity.txt").path
    #expect(try ChildProcess.run("/usr/bin/age-keygen", ["-o", identityFile]) == 0)
    let recipient = try SecretsFixture.output("/usr/bin/age-keygen", ["-y", identityFile])
      .trimmingCharacters(in: .whitespacesAndNewlines)
    let password = "pw-" + String(Int.random(in: 100_000...999_999))
    let apiKey = "key-" + String(Int.random(in: 100_000...999_999))
    try writeRepository(
      template: "db {{db_password}}\napi {{data.api_key}}\n",
      data:
        "db_password: { secret: { env: TEST_DB_PASSWORD } }, api_key: { secret: { file: secrets/api.age } }",
      server: server)
    try repo.write(
      "infra.yaml",
      try repo.readText("infra.yaml")
        + "\nsecrets: { identities: [{ file: \(identityFile) }], recipients: [\(recipient)] }\n")
    let clear = try keys.write("api", apiKey + "\n")
    try FileManager.default.createDirectory(
      at: repo.appending("secrets"), withIntermediateDirectories: true)
    #expect(
      try ChildProcess.run(
        "/usr/bin/age", ["-r", recipient, "-o", repo.appending("secrets/api.age").path, clear.path])
        == 0)
    // db1 has no secrets: its file is missing them, and says which and why.
    let environment = ["TEST_DB_PASSWORD": password]
    let outputs = try TemporaryFolder("templates-secret-outputs")
    let plan = try await Infra.run(["plan"], in: repo.url, environment: environment)
    #expect(plan.code == 1, "\(plan)")
    #expect(plan.stdout.contains("create \(web.path)/etc/motd: content (sensitive), mode 0600"))
    #expect(plan.stdout.contains("{{db_password}} is not set for host db1"), "\(plan)")
    let unset = try await Infra.run(["plan"], in: repo.url)
    #expect(
      unset.stdout.contains(
        "{{db_password}} is a secret of web1's data that cannot be had: the environment variable TEST_DB_PASSWORD is not set"
      ), "\(unset)")
    // Saved and applied in a process of its own: the sensitive change is planned again there.
    let saved = outputs.appending("saved.plan").path
    let save = try await Infra.run(
      ["plan", "--limit", "web1", "--out", saved], in: repo.url, environment: environment)
    #expect(save.code == 0, "\(save)")
    let apply = try await Infra.run(["apply", saved], in: repo.url, environment: environment)
    #expect(apply.code == 0, "\(apply)")
    #expect(try web.readText("etc/motd") == "db \(password)\napi \(apiKey)\n")
    let json = try await Infra.run(["plan", "--json"], in: repo.url, environment: environment)
    var everything = [plan, unset, save, apply, json].flatMap { [$0.stdout, $0.stderr] }
    everything.append(try outputs.readText("saved.plan"))
    let runs = repo.appending(".infra/runs")
    for file in FileManager.default.enumerator(atPath: runs.path)?.compactMap({ $0 as? String })
      ?? []
    {
      everything.append(
        (try? String(contentsOf: runs.appending(path: file), encoding: .utf8)) ?? "")
    }
    for output in everything {
      #expect(!output.contains(password) && !output.contains(apiKey), "\(output)")
    }
    withExtendedLifetime(server) {}
  }

  private func osRelease(_ key: String) throws -> String {
    let text = try String(contentsOfFile: "/etc/os-release", encoding: .utf8)
    let line = try #require(text.split(separator: "\n").first { $0.hasPrefix("\(key)=") })
    return line.dropFirst(key.count + 1).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
  }
}
