import Foundation
import InfraTestSupport
import Testing

/// One distinct secret through each route (a plain file marked sensitive, an `.age` file, a
/// connector's sensitive field, a value the connector registers and logs, an `env: {from:}`
/// value, the host's old content of a sensitive file, a hand edit on the host, a listing
/// imported) goes through every command, locally and over SSH: no form of any of them is in
/// anything infra printed or wrote, and the hosts end with the right content.
@Suite struct SecretsEndToEndTests {
  @Test func noSecretReachesAnyOutputOnThisMachine() async throws {
    var fixture = try SecretsFixture.onThisMachine("secrets")
    try await everyCommand(&fixture)
  }

  /// Over SSH with `sudo_user:`, the host's files that user's own, mode 0600: the login user
  /// cannot read them, so the old secret is read (its hash, on the host) through sudo.
  @Test func noSecretReachesAnyOutputOverSSHWithSudo() async throws {
    let server = try SSHServer()
    let owner = SSHServer.sudoTargetUser
    let target = try SSHServer.ownedFolder("secrets-ssh-target", by: owner)
    let locks = try SSHServer.ownedFolder("secrets-ssh-locks")
    let host = server.hostYAML("box").replacingOccurrences(
      of: "    data:", with: "    sudo_user: \(owner)\n    data:")
    var fixture = try SecretsFixture(
      host: host, target: target, locks: locks.path, identityFromFile: true)
    fixture.owner = owner
    try fixture.handOver()
    #expect(try target.mode("app/token") & 0o777 == 0o600)
    let token = try FileManager.default.attributesOfItem(atPath: target.appending("app/token").path)
    #expect(token[.ownerAccountName] as? String == owner, "the login user could read it")
    try await everyCommand(&fixture)
    withExtendedLifetime(server) {}
  }

  private func everyCommand(_ fixture: inout SecretsFixture) async throws {
    let secrets = fixture.secrets
    let target = fixture.target
    let saved = fixture.outputs.appending("saved.plan").path

    let plan = try await fixture.infra(["plan"])
    #expect(plan.code == 0, "\(plan)")
    #expect(plan.stdout.contains("update \(target.path)/app/token: content changed (sensitive)"))
    #expect(
      plan.stdout.contains("create \(target.path)/app/db.pass: content (sensitive), mode 0600"))
    #expect(plan.stdout.contains("password changed (sensitive)"), "\(plan)")
    #expect(plan.stdout.contains("Plan: 2 to create, 1 to update"), "\(plan)")
    let json = try await fixture.infra(["plan", "--json"])
    #expect(
      json.stdout.contains(#""sensitive" : true"#) || json.stdout.contains(#""sensitive": true"#),
      "\(json)")
    #expect(try await fixture.infra(["plan", "--out", saved]).code == 0)
    for format in [[], ["--json"], ["--markdown"]] {
      let shown = try await fixture.infra(["show"] + format + [saved])
      #expect(shown.code == 0, "\(shown)")
    }

    // The saved plan, applied with -v and events: what it shows is planned again.
    let events = fixture.outputs.appending("apply-events.jsonl").path
    let apply = try await fixture.infra(["-v", "apply", saved, "--events", events])
    #expect(apply.code == 0, "\(apply)")
    #expect(try target.readText("app/token") == secrets["plain"]! + "\n")
    #expect(try target.readText("app/db.pass") == secrets["age"]! + "\n")
    #expect(try target.readText("app.cred").contains(secrets["field"]!))
    #expect(try target.mode("app/db.pass") & 0o777 == 0o600)
    #expect(try await fixture.infra(["plan", "--detailed-exitcode"]).code == 0)
    // The connector's log lines are there, with what it registered and its env value masked.
    let logged = try String(contentsOfFile: events, encoding: .utf8)
    #expect(logged.contains("using session token ***"), "\(logged)")
    #expect(logged.contains("the API token from infra.yaml is ***"), "\(logged)")
    // A saved plan keeps no payload and no live fingerprint of a sensitive change.
    let savedText = try String(contentsOfFile: saved, encoding: .utf8)
    #expect(!savedText.contains(#""payload" : {"#) && savedText.contains(#""sensitive" : true"#))

    // A hand edit on the host: the drift plan says the content changed, and nothing more.
    try target.write("app/db.pass", secrets["handEdit"]! + "\n")
    try fixture.handOver()
    let drift = try await fixture.infra(
      ["-v", "plan", "--events", fixture.outputs.appending("drift-events.jsonl").path])
    #expect(drift.stdout.contains("update \(target.path)/app/db.pass: content changed (sensitive)"))
    #expect(try await fixture.infra(["apply", "--yes"]).code == 0)
    #expect(try target.readText("app/db.pass") == secrets["age"]! + "\n")

    // A failing apply whose connector puts the password in its error.
    try fixture.writeCredentials("refused", password: secrets["field"]!, fail: true)
    let failing = try await fixture.infra(["apply", "--yes"])
    #expect(failing.code == 1, "\(failing)")
    #expect(failing.stdout.contains("the server refused the password ***"), "\(failing)")
    try FileManager.default.removeItem(
      at: fixture.repo.appending("resources/test/creds/box/refused.json"))

    // Pull writes the host's content back encrypted, and refuses to write a secret in clear.
    try target.write("app/db.pass", secrets["handEdit"]! + "\n")
    try target.write("app/token", secrets["handEdit"]! + "\n")
    try fixture.handOver()
    let pull = try await fixture.infra(["pull", "resources/test/files"])
    #expect(pull.stdout.contains("encrypted (sensitive)"), "\(pull)")
    #expect(
      pull.stdout.contains("it is sensitive, and pulling it would write the secret"), "\(pull)")
    #expect(try fixture.decrypt("resources/test/files/box/app/db.pass.age") == secrets["handEdit"]!)
    #expect(
      try fixture.repo.readText("resources/test/files/box/app/token") == secrets["plain"]! + "\n")

    // Import writes a sensitive listing encrypted, never in clear.
    let imported = try await fixture.infra(["import", "--connector", "test/creds"])
    #expect(imported.code == 0, "\(imported)")
    #expect(!fixture.repo.exists("resources/test/creds/box/imported.json"))
    #expect(
      try fixture.decrypt("resources/test/creds/box/imported.json.age")
        .contains(secrets["imported"]!))

    try fixture.expectNoSecretInAnyOutput()
    try expectPrivateModes(fixture, saved: saved)
  }

  /// `.infra/`, every run folder: 0700; every artifact and the saved plan: 0600.
  private func expectPrivateModes(_ fixture: SecretsFixture, saved: String) throws {
    func mode(_ path: String) throws -> Int {
      let attributes = try FileManager.default.attributesOfItem(atPath: path)
      return (attributes[.posixPermissions] as? Int ?? -1) & 0o777
    }
    #expect(try mode(saved) == 0o600)
    let state = fixture.repo.appending(".infra").path
    #expect(try mode(state) == 0o700)
    #expect(try mode(state + "/runs") == 0o700)
    let runs = try FileManager.default.contentsOfDirectory(atPath: state + "/runs")
    #expect(runs.count >= 10, "\(runs)")
    for run in runs {
      let folder = state + "/runs/" + run
      #expect(try mode(folder) == 0o700, "\(folder)")
      for file in try FileManager.default.contentsOfDirectory(atPath: folder) {
        let path = folder + "/" + file
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder),
          isFolder.boolValue
        else {
          #expect(try mode(path) == 0o600, "\(path)")
          continue
        }
        // The hosts' facts.
        #expect(try mode(path) == 0o700, "\(path)")
        for kept in try FileManager.default.contentsOfDirectory(atPath: path) {
          #expect(try mode(path + "/" + kept) == 0o600, "\(path)/\(kept)")
        }
      }
    }
  }
}
