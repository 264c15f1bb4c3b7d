import Foundation
import InfraTestSupport
import InfraTransport
import Testing

/// Runs as operators see them: events validated against the schema in the repository,
/// artifacts, --events to standard output, and Ctrl-C in the middle of a long apply.
@Suite struct RunsEndToEndTests {
  let repo: TestRepository
  var root: URL { repo.root.url }
  static let schema = Infra.projectRoot.appending(path: "docs/schemas/events-v1.schema.json")
  static let validator = Infra.projectRoot.appending(path: "scripts/validate-events")

  init() throws {
    repo = try TestRepository("runs-e2e")
  }

  /// The newest run folder of the test repository.
  func lastRun() throws -> URL {
    let runs = root.appending(path: ".infra/runs")
    let name = try #require(
      try FileManager.default.contentsOfDirectory(atPath: runs.path).filter { !$0.hasPrefix(".") }
        .sorted().last)
    return runs.appending(path: name)
  }

  @Test func everyEventOfARealRunMatchesTheSchema() async throws {
    // One run that meets every kind of event: a warning, an unreachable host, a resource that
    // cannot be planned, ops that succeed, fail and are skipped.
    // `local` applies, fails and skips ops; `spare` has something that cannot be planned, so
    // none of its changes is applied; `gone` cannot be reached.
    try repo.writeConfig(
      extraHosts: """
          gone: { connect: "ssh://nobody@127.0.0.1:1" }
          spare: { connect: local }
        """)
    try repo.resource("local/a/first", "1\n")
    try repo.resource("local/blocker/inner", "2\n")
    try repo.resource("local/c/last", "3\n")
    try repo.resource("spare/folder", "wants to be a file\n")
    try repo.resource("spare/held", "waits for the folder\n")
    try repo.resource("local/notes.txt~", "an editor's backup\n")
    try repo.resource("@all/everywhere", "x\n")
    // A check that fails: an op that fails as it is applied.
    try repo.resource(
      "local/blocker/.infra-attrs.yaml", "files:\n  inner: { validate: 'false %s' }\n")
    try FileManager.default.createDirectory(
      at: repo.target.appending("folder"), withIntermediateDirectories: true)
    let scratch = try TemporaryFolder("events")
    let events = scratch.appending("events.jsonl").path

    let run = try await Infra.run(["apply", "--yes", "--events", events], in: root)
    #expect(run.code == 1, "\(run)")
    #expect(
      run.stdout.contains(
        "test/files/spare/held on spare: skipped, spare has resources that could not be planned, so none of its changes is applied"
      ), "\(run)")
    let artifacts = try lastRun().appending(path: "events.jsonl").path
    let validation = try scratch.write("validation", "")
    let code = try ChildProcess.run(
      "/usr/bin/env", ["python3", Self.validator.path, Self.schema.path, events, artifacts],
      stdout: validation.path, stderr: validation.path)
    let report = try scratch.readText("validation")
    #expect(code == 0, "\(report)")
    let streamed = try Data(contentsOf: URL(fileURLWithPath: events))
    let kept = try Data(contentsOf: URL(fileURLWithPath: artifacts))
    #expect(streamed == kept, "--events and the run's events.jsonl hold the same lines")

    let names = Set(
      try scratch.readText("events.jsonl").split(separator: "\n").map { line in
        let object = try #require(
          try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        return try #require(object["event"] as? String)
      })
    #expect(
      names == [
        "run_start", "diagnostic", "host_connect", "host_facts", "host_unreachable",
        "resource_read", "change_planned", "plan_failed", "plan_complete", "op_start", "op_ok",
        "op_failed", "op_skipped", "host_done", "run_end",
      ])
  }

  @Test func eventsOnStandardOutputMoveTheHumanOutputToStandardError() async throws {
    try repo.writeConfig()
    try repo.resource("local/etc/motd", "hello\n")
    let run = try await Infra.run(["plan", "--events", "-"], in: root)
    #expect(run.code == 0, "\(run)")
    let lines = run.stdout.split(separator: "\n")
    #expect(lines.count >= 5)
    for line in lines {
      #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) != nil, "\(line)")
    }
    #expect(run.stderr.contains("Plan: 1 to create, 0 to update, 0 to delete, 0 unchanged."))
    #expect(try await Infra.run(["plan", "--json", "--events", "-"], in: root).code == 64)
  }

  @Test func artifactsRecordCommandStatusPlanOutputAndExitCode() async throws {
    try repo.writeConfig()
    try repo.resource("local/etc/motd", "hello\n")
    let run = try await Infra.run(["apply", "--yes", "--color"], in: root)
    #expect(run.code == 0, "\(run)")
    #expect(run.stdout.contains("\u{1B}["), "colour was asked for")
    let folder = try lastRun()
    func text(_ name: String) throws -> String {
      try String(contentsOf: folder.appending(path: name), encoding: .utf8)
    }
    #expect(try text("command") == "infra apply --yes --color\n")
    #expect(try text("status") == "successful\n")
    #expect(try text("rc") == "0\n")
    let stdout = try text("stdout")
    #expect(stdout.contains("Apply complete: 1 changed, 0 failed, 0 unchanged."))
    #expect(!stdout.contains("\u{1B}"), "the transcript has no escape codes")
    #expect(
      stdout
        == run.stdout.replacingOccurrences(
          of: #"\x1B\[[0-9;]*m"#, with: "", options: .regularExpression))
    let plan = try #require(
      try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appending(path: "plan.json")))
        as? [String: Any])
    #expect(plan["format_version"] as? String == "1.0")
    #expect(
      try String(contentsOf: root.appending(path: ".infra/.gitignore"), encoding: .utf8).hasSuffix(
        "*\n"))

    // Only the newest runs are kept: infra.yaml's runs.keep.
    try repo.root.write(
      "infra.yaml",
      try repo.root.readText("infra.yaml").replacingOccurrences(
        of: "version: 1", with: "version: 1\nruns: { keep: 2 }"))
    for _ in 0..<3 { #expect(try await Infra.run(["plan"], in: root).code == 0) }
    let runs = try FileManager.default.contentsOfDirectory(
      atPath: root.appending(path: ".infra/runs").path)
    #expect(runs.filter { !$0.hasPrefix(".") }.count == 2)
  }
}
