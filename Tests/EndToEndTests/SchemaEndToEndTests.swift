import Foundation
import InfraTestSupport
import InfraTransport
import Testing

/// The JSON Schemas of infra.yaml and `.infra-attrs.yaml`: the committed ones are what the
/// code generates, the demo, the fixtures and the README's examples validate against them
/// (Debian's python3-jsonschema, through scripts/check-schemas), and bad files fail where the
/// loader says they are wrong.
@Suite struct SchemaEndToEndTests {
  static let schemas = Infra.projectRoot.appending(path: "docs/schemas")

  @Test(arguments: [
    ("--builtin", "infra.schema.json"), ("--attributes", "infra-attrs.schema.json"),
  ])
  func theCommittedSchemasAreWhatTheCodeGenerates(flag: String, file: String) async throws {
    let run = try await Infra.run(["schema", flag], in: FileManager.default.temporaryDirectory)
    #expect(run.code == 0, "\(run)")
    let committed = try String(contentsOf: Self.schemas.appending(path: file), encoding: .utf8)
    #expect(
      run.stdout == committed,
      "docs/schemas/\(file) is stale: run `infra schema \(flag) > docs/schemas/\(file)`")
  }

  @Test func theDemoTheFixturesAndTheReadmeValidate() async throws {
    let root = Infra.projectRoot
    let fixtures = try FileManager.default.contentsOfDirectory(
      atPath: root.appending(path: "Tests/InfraCLITests/Fixtures").path
    ).map { "Tests/InfraCLITests/Fixtures/\($0)/infra.yaml" }
      .filter { FileManager.default.fileExists(atPath: root.appending(path: $0).path) }
    #expect(fixtures.count >= 4)
    var attributes: [String] = []
    let enumerator = FileManager.default.enumerator(atPath: root.path)
    while let path = enumerator?.nextObject() as? String {
      if path.hasPrefix(".build") || path.hasPrefix(".git") {
        enumerator?.skipDescendants()
      } else if path.hasSuffix("/.infra-attrs.yaml") {
        attributes.append(path)
      }
    }
    #expect(attributes.count >= 2)
    for (schema, files) in [
      ("infra.schema.json", ["infra.yaml"] + fixtures), ("infra-attrs.schema.json", attributes),
    ] {
      let results = try await check(["docs/schemas/\(schema)"] + files, in: root)
      #expect(results.code == 0, "\(results.lines)")
      #expect(results.lines.count == files.count)
    }
    let readme = try await check(["--readme", "README.md"], in: root)
    #expect(readme.code == 0, "\(readme.lines)")
    #expect(readme.lines.filter { $0["errors"] != nil }.count >= 5, "\(readme.lines)")
  }

  @Test func badFilesFailWhereTheLoaderSaysTheyAreWrong() async throws {
    let folder = try TemporaryFolder("schema-bad")
    try folder.write(
      "infra.yaml",
      """
      version: 1
      hosts:
        web1: { conect: local }
        web2: { connect: local, sudo: maybe, data: { ssh_conect_timeout: 3, role: x } }
      prefixes:
        p:
          connectors:
            - name: files
              options: { rot: /srv }
            - name: db
              type: postgres
              options: { port: "5432" }
            - name: x
              type: nosuch
      lock: {}
      """)
    try folder.write(
      "attrs.yaml", "mode: rw-r--r--\nfiles:\n  a.conf: { state: gone, ownr: root }\n")
    let config = try await check(
      [Self.schemas.appending(path: "infra.schema.json").path, "infra.yaml"], in: folder.url)
    #expect(config.code == 1)
    #expect(
      config.paths == [
        "", "hosts/web1", "hosts/web2/data", "hosts/web2/sudo", "prefixes/p/connectors/0/options",
        "prefixes/p/connectors/1/options/port", "prefixes/p/connectors/2/type",
      ], "\(config.lines)")
    let attributes = try await check(
      [Self.schemas.appending(path: "infra-attrs.schema.json").path, "attrs.yaml"], in: folder.url)
    #expect(
      attributes.paths == ["files/a.conf", "files/a.conf/state", "mode"], "\(attributes.lines)")

    // The loader refuses the same keys, at their lines.
    let validate = try await Infra.run(["validate"], in: folder.url)
    #expect(validate.code == 1)
    for place in [
      "infra.yaml:3:11: error: unknown key 'conect'",
      "infra.yaml:4:33: error: expected true or false",
      "infra.yaml:4:48: error: unknown SSH setting 'ssh_conect_timeout'",
      "infra.yaml:9:20: error: unknown option 'rot'",
      "infra.yaml:12:20: error: option 'port' of connector 'db' must be an integer",
      "infra.yaml:14:15: error: there is no connector type 'nosuch'",
      "infra.yaml:15:1: error: unknown key 'lock'",
    ] {
      #expect(validate.stderr.contains(place), "\(place)\n\(validate)")
    }
  }

  /// In a repository, the schema knows the options and host data its external connectors
  /// declare.
  @Test func aRepositorysSchemaKnowsItsExternalConnectors() async throws {
    let repo = try TemporaryFolder("schema-repo")
    for program in ["infra_connector.py", "crontab.py"] {
      let source = Infra.projectRoot.appending(path: "connectors/\(program)")
      try repo.write("connectors/\(program)", try String(contentsOf: source, encoding: .utf8))
    }
    let config = """
      version: 1
      hosts:
        box: { connect: local, data: { crontab_command: crontab } }
      prefixes:
        p:
          connectors:
            - name: cron
              run: [python3, connectors/crontab.py]
              options: { command: OPTION }
      """
    try repo.write("infra.yaml", config.replacingOccurrences(of: "OPTION", with: "crontab"))
    try repo.write(
      "bad.yaml", config.replacingOccurrences(of: "command: OPTION", with: "comand: x"))
    let run = try await Infra.run(["schema"], in: repo.url)
    #expect(run.code == 0, "\(run)")
    try repo.write("schema.json", run.stdout)
    #expect(run.stdout.contains("\"crontab_command\""))
    let good = try await check(["schema.json", "infra.yaml"], in: repo.url)
    #expect(good.code == 0, "\(good.lines)")
    let bad = try await check(["schema.json", "bad.yaml"], in: repo.url)
    #expect(bad.paths == ["prefixes/p/connectors/0/options"], "\(bad.lines)")
  }

  /// scripts/check-schemas with `arguments`: its exit code and one JSON object per file.
  private func check(_ arguments: [String], in folder: URL) async throws -> Checked {
    let scratch = try TemporaryFolder("check-schemas")
    let output = scratch.appending("out").path
    let code = try await ChildProcess.runToEnd(
      "/usr/bin/env",
      ["python3", Infra.projectRoot.appending(path: "scripts/check-schemas").path] + arguments,
      directory: folder.path, stdout: output, stderr: scratch.appending("err").path)
    let lines = try String(contentsOfFile: output, encoding: .utf8).split(separator: "\n")
      .compactMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    let errors = try scratch.readText("err")
    #expect(!lines.isEmpty, "check-schemas said: \(errors)")
    return Checked(code: code, lines: lines)
  }

  struct Checked {
    var code: Int32
    var lines: [[String: Any]]

    /// Where each error is, in order.
    var paths: [String] {
      lines.flatMap {
        ($0["errors"] as? [[String: Any]] ?? []).compactMap { $0["path"] as? String }
      }
      .reduce(into: [String]()) { if $0.last != $1 { $0.append($1) } }
    }
  }
}
