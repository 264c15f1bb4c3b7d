import Foundation
import InfraCore
import InfraTestSupport
import InfraTransport
import Testing

/// A repository whose `postgres` connector manages a throwaway PostgreSQL server of its own,
/// on a host `db` that is this machine or an SSH host, with one password from an `.age` file
/// and one from the environment, and what it takes to look for them in every output.
struct PostgresFixture {
  let server: PostgresServer
  let repo: TemporaryFolder
  /// Saved plans and event files: outputs to search, outside the repository.
  let outputs: TemporaryFolder
  let keys: TemporaryFolder
  var environment: [String: String]
  /// Every byte infra printed, run by run.
  var printed: [String] = []
  /// Each password the test used, clear; they must be in no output.
  var passwords: [String] = []
  let recipient: String
  var kept: [AnyObject] = []

  static let connector = "main/postgres"

  /// `host` is the infra.yaml entry of `db`; `options` the connector's options (by default,
  /// TCP to the server as its superuser).
  init(
    server: PostgresServer, host: String = "  db: { connect: local }", options: String? = nil
  ) throws {
    self.server = server
    repo = try TemporaryFolder("postgres-repo")
    outputs = try TemporaryFolder("postgres-outputs")
    keys = try TemporaryFolder("postgres-keys")
    let locks = try TemporaryFolder("postgres-locks")
    chmod(locks.path, 0o777)
    kept.append(locks)
    let identityFile = keys.appending("identity.txt").path
    #expect(try ChildProcess.run("/usr/bin/age-keygen", ["-o", identityFile]) == 0)
    recipient = try SecretsFixture.output("/usr/bin/age-keygen", ["-y", identityFile])
    environment = [
      "INFRA_TEST_AGE_IDENTITY": try String(contentsOfFile: identityFile, encoding: .utf8)
    ]
    let connection =
      options ?? "{ host: 127.0.0.1, port: \(server.port), user: postgres }"
    try repo.write(
      "infra.yaml",
      """
      version: 1
      hosts:
      \(host)
      locks: { folder: \(locks.path) }
      secrets:
        identities: [{ env: INFRA_TEST_AGE_IDENTITY }]
        recipients: [\(recipient)]
      prefixes:
        main:
          connectors:
            - name: postgres
              options: \(connection)
      """)
  }

  /// A random password, remembered so that every output is searched for it.
  mutating func newPassword(_ label: String) -> String {
    let password =
      "\(label)-" + (0..<16).map { _ in String(Int.random(in: 0...35), radix: 36) }.joined()
    passwords.append(password)
    return password
  }

  /// Writes `secrets/NAME.age`, the password encrypted to the fixture's recipient.
  func sealPassword(_ password: String, as name: String) throws {
    let sealed = try SecretsFixture.output(
      "/usr/bin/age", ["--encrypt", "--armor", "-r", recipient], input: password + "\n")
    try repo.write("secrets/\(name).age", sealed)
  }

  /// Writes a file below `resources/main/postgres/db/`.
  func write(_ relative: String, _ content: String) throws {
    try repo.write("resources/main/postgres/db/\(relative)", content)
  }

  func remove(_ relative: String) throws {
    try FileManager.default.removeItem(at: repo.appending("resources/main/postgres/db/\(relative)"))
  }

  /// Runs infra in the repository, keeping what it printed.
  mutating func infra(_ arguments: [String], environment extra: [String: String] = [:])
    async throws -> InfraRun
  {
    let run = try await Infra.run(
      arguments, in: repo.url, environment: environment.merging(extra) { _, new in new })
    printed += [run.stdout, run.stderr]
    return run
  }

  /// An event file in the outputs folder.
  func events(_ name: String) -> String { outputs.appending("\(name).jsonl").path }

  /// The round trips each connector made to `host`, from the run's last event.
  func roundTrips(_ file: String, host: String = "db") throws -> [String: Int] {
    let lines = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n")
    let events = lines.compactMap {
      try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
    }
    let end = events.last { $0["event"] as? String == "run_end" }
    let stats = (end?["data"] as? [String: Any])?["stats"] as? [String: Any]
    return (stats?[host] as? [String: Any])?["round_trips"] as? [String: Int] ?? [:]
  }

  /// No form of any password, nor any verifier the server keeps, in anything infra printed or
  /// wrote: its output, saved plans, event files and every file of `.infra/`.
  func expectNoPasswordInAnyOutput(atLeast: Int) async throws {
    let outputs = try SecretsFixture.everyOutput(
      printed: printed, folders: [self.outputs.url, repo.url.appending(path: ".infra")])
    #expect(outputs.count >= atLeast, "too few outputs searched: \(outputs.map(\.name))")
    let verifiers = try await server.sql(
      "SELECT rolpassword FROM pg_authid WHERE rolpassword IS NOT NULL"
    ).split(separator: "\n").map(String.init)
    let forms =
      passwords.flatMap(SecretsFixture.forms(of:)) + verifiers
      + verifiers.compactMap { $0.split(separator: "$").last.map(String.init) }
    for form in forms {
      for (name, text) in outputs where text.contains(form) {
        Issue.record("a password or verifier (\(form.prefix(12))…) is in \(name)")
      }
    }
  }
}
