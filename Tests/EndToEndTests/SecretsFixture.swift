import Foundation
import InfraCore
import InfraTestSupport
import InfraTransport
import Testing

/// A repository that plants one distinct secret through each route infra has for them, on a
/// host reached locally or over SSH, and everything needed to look for them afterwards.
struct SecretsFixture {
  /// The secrets by route; each is random, so a hit can only come from this run.
  let secrets: [String: String]
  let repo: TemporaryFolder
  let target: TemporaryFolder
  /// Where saved plans and event files go: outputs to search, outside the repository.
  let outputs: TemporaryFolder
  let keys: TemporaryFolder
  /// The environment of every run: the age identity (for the local host) and the token.
  var environment: [String: String]
  /// Every byte infra wrote to standard output and standard error, run by run.
  var printed: [String] = []
  /// Folders kept for as long as the fixture is (the hosts' lock folder).
  var kept: [TemporaryFolder] = []
  /// Who owns the host's files (the `sudo_user` of an SSH host); `nil` leaves them the test's.
  var owner: String?

  /// Gives what the test wrote on the host to `owner`, as if that user had written it.
  func handOver() throws {
    guard let owner else { return }
    try SSHServer.giveAway(target, to: owner)
  }

  /// The fixture with this machine as `box`, its identity from an environment variable.
  static func onThisMachine(_ label: String) throws -> SecretsFixture {
    let target = try TemporaryFolder("\(label)-target")
    let locks = try TemporaryFolder("\(label)-locks")
    var fixture = try SecretsFixture(
      host: "  box: { connect: local }", target: target, locks: locks.path,
      identityFromFile: false)
    fixture.kept.append(locks)
    return fixture
  }

  static let routes = [
    "plain", "age", "field", "registered", "env", "oldLive", "handEdit", "imported",
  ]

  /// `host` is the host entry of infra.yaml for `box`; over SSH the identity comes from a
  /// file, locally from an environment variable.
  init(host: String, target: TemporaryFolder, locks: String, identityFromFile: Bool) throws {
    self.target = target
    repo = try TemporaryFolder("secrets-repo")
    outputs = try TemporaryFolder("secrets-outputs")
    keys = try TemporaryFolder("secrets-keys")
    var secrets: [String: String] = [:]
    for route in Self.routes {
      secrets[route] =
        "\(route)-"
        + (0..<12).map { _ in String(Int.random(in: 0...35), radix: 36) }
        .joined()
    }
    self.secrets = secrets
    let identityFile = keys.appending("identity.txt").path
    #expect(try ChildProcess.run("/usr/bin/age-keygen", ["-o", identityFile]) == 0)
    let identity = try String(contentsOfFile: identityFile, encoding: .utf8)
    let recipient = try Self.output("/usr/bin/age-keygen", ["-y", identityFile])
    environment = ["INFRA_TEST_API_TOKEN": secrets["env"]!]
    if !identityFromFile { environment["INFRA_TEST_AGE_IDENTITY"] = identity }
    let identitySource =
      identityFromFile ? "{ file: \(identityFile) }" : "{ env: INFRA_TEST_AGE_IDENTITY }"
    try repo.write(
      "infra.yaml",
      """
      version: 1
      hosts:
      \(host)
      locks: { folder: \(locks) }
      secrets:
        identities: [\(identitySource)]
        recipients: [\(recipient)]
      prefixes:
        test:
          connectors:
            - name: files
              options: { root: \(target.path) }
            - name: creds
              run: [python3, connectors/creds.py]
              env: { API_TOKEN: { from: INFRA_TEST_API_TOKEN } }
      """)
    let sdk = Infra.projectRoot.appending(path: "connectors/infra_connector.py")
    try repo.write("connectors/infra_connector.py", try String(contentsOf: sdk, encoding: .utf8))
    try repo.write("connectors/creds.py", Self.connector(imported: secrets["imported"]!))
    // A plain file marked sensitive, and an age file (sensitive by itself).
    try repo.write("resources/test/files/box/app/token", secrets["plain"]! + "\n")
    try repo.write(
      "resources/test/files/box/app/.infra-attrs.yaml", "files:\n  token: { sensitive: true }\n")
    let sealed = try Self.output(
      "/usr/bin/age", ["--encrypt", "--armor", "-r", recipient], input: secrets["age"]! + "\n")
    try repo.write("resources/test/files/box/app/db.pass.age", sealed)
    // A connector's resource with a sensitive field, and a value it registers and logs.
    try writeCredentials("app", password: secrets["field"]!)
    // The host has an old secret where the plain one goes.
    try target.write("app/token", secrets["oldLive"]! + "\n")
    try target.setMode("app/token", 0o600)
  }

  func writeCredentials(_ name: String, password: String, fail: Bool = false) throws {
    try repo.write(
      "resources/test/creds/box/\(name).json",
      """
      {"file": "\(target.path)/\(name).cred", "user": "\(name)", "password": "\(password)",
       "session_token": "\(secrets["registered"]!)", "fail": \(fail)}
      """)
  }

  /// Runs infra in the repository with the fixture's environment, keeping what it printed.
  mutating func infra(_ arguments: [String]) async throws -> InfraRun {
    let run = try await Infra.run(arguments, in: repo.url, environment: environment)
    printed += [run.stdout, run.stderr]
    return run
  }

  /// The forms a secret could leak in: itself, its base64 and hex, and the SHA-256 of it and
  /// of it as a file's line.
  static func forms(of secret: String) -> [String] {
    let bytes = Data(secret.utf8)
    var forms = [secret, bytes.base64EncodedString(), Data(secret.utf8).hex]
    for content in [secret, secret + "\n"] {
      forms.append(SHA256Hex.of(Data(content.utf8)))
      forms.append(Data((secret + "\n").utf8).base64EncodedString())
    }
    return forms
  }

  /// Every output of the runs: what they printed, the saved plans and event files, and every
  /// file of `.infra/`.
  func everyOutput() throws -> [(name: String, text: String)] {
    try Self.everyOutput(
      printed: printed, folders: [outputs.url, repo.url.appending(path: ".infra")])
  }

  /// What runs printed, and the text of every file below `folders`, each with its name.
  static func everyOutput(printed: [String], folders: [URL]) throws -> [(
    name: String, text: String
  )] {
    var outputs = printed.enumerated().map { ("printed #\($0.offset)", $0.element) }
    for folder in folders {
      let enumerator = FileManager.default.enumerator(
        at: folder, includingPropertiesForKeys: [.isRegularFileKey])
      while let url = enumerator?.nextObject() as? URL {
        guard (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true
        else { continue }
        outputs.append((url.path, String(decoding: try Data(contentsOf: url), as: UTF8.self)))
      }
    }
    return outputs
  }

  /// Zero hits for any form of any secret, in every output (of which there are `atLeast`).
  func expectNoSecretInAnyOutput(atLeast: Int = 20) throws {
    let outputs = try everyOutput()
    #expect(outputs.count >= atLeast, "too few outputs searched: \(outputs.map(\.name))")
    for (route, secret) in secrets {
      for form in Self.forms(of: secret) {
        for (name, text) in outputs where text.contains(form) {
          Issue.record("the \(route) secret (as \(form)) is in \(name)")
        }
      }
    }
  }

  func decrypt(_ relative: String) throws -> String {
    try Self.output(
      "/usr/bin/age",
      ["--decrypt", "-i", keys.appending("identity.txt").path, repo.appending(relative).path])
  }

  static func output(_ program: String, _ arguments: [String], input: String? = nil) throws
    -> String
  {
    let scratch = try TemporaryFolder("tool")
    let inputFile = try scratch.write("in", input ?? "")
    let code = try ChildProcess.run(
      program, arguments, stdin: inputFile.path, stdout: scratch.appending("out").path,
      stderr: scratch.appending("err").path)
    let errors = try scratch.readText("err")
    #expect(code == 0, "\(program) \(arguments): \(errors)")
    return try scratch.readText("out").trimmingCharacters(in: .newlines)
  }
}

extension Data {
  var hex: String { map { String(format: "%02x", $0) }.joined() }
}

extension SecretsFixture {
  /// `connectors/creds.py`: credential files on hosts, whose `password` is a sensitive field.
  /// It registers each resource's session token and then logs it, logs the token it gets from
  /// infra.yaml's `env:`, fails an apply with the password in its error when asked to, and
  /// lists one credential for import (with `imported` as its password), marked sensitive.
  static func connector(imported: String) -> String {
    """
    import json, os, shlex, sys
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from infra_connector import Connector, ConnectorError, Listed, Op, main

    class Credentials(Connector):
        summary = "credential files with a password"
        layout = "<host>/<name>.json"
        sensitive_fields = ["password"]

        def parse(self, name, content):
            return json.loads(content)

        def read(self, host, name, desired):
            self.register_secret(desired["session_token"])
            self.log("using session token " + desired["session_token"])
            self.log("the API token from infra.yaml is " + os.environ.get("API_TOKEN", "?"))
            path = shlex.quote(desired["file"])
            found = host.run("if [ -f %s ]; then cat %s; else printf -- -missing-; fi" % (path, path))
            text = found.check("read").text
            return None if text == "-missing-" else text

        def plan(self, host, name, desired, live):
            content = json.dumps({"user": desired["user"], "password": desired["password"]}) + chr(10)
            if live == content:
                return None
            payload = {"file": desired["file"], "content": content, "fail": desired["fail"]}
            return Op("create" if live is None else "update",
                      "write the credentials of %s: password changed (sensitive)" % desired["user"],
                      payload)

        def apply(self, host, name, action, payload):
            if payload["fail"]:
                password = json.loads(payload["content"])["password"]
                raise ConnectorError("the server refused the password " + password)
            host.put(payload["file"], payload["content"].encode(), mode="0600")

        def list_all(self, host):
            content = json.dumps({"file": "/nonexistent/imported.cred", "user": "imported",
                                  "password": "\(imported)", "session_token": "imported-token",
                                  "fail": False})
            return {"imported.json": Listed(content, sensitive=True)}

    main(Credentials())
    """
  }
}
