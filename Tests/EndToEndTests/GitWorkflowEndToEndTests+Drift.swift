import Foundation
import InfraTestSupport
import InfraTransport
import Testing

/// Drift and pull, and deletions of files with awkward names.
extension GitWorkflowEndToEndTests {
  @Test func driftIsExitCodeTwoAndPullKeepsTheHandChange() async throws {
    try repo.resource("local/etc/.infra-attrs.yaml", "files:\n  secret: { mode: \"0600\" }\n")
    try repo.resource("local/etc/secret", "token\n")
    try await committedAndApplied()
    #expect(try await Infra.run(["plan", "--detailed-exitcode"], in: root).code == 0)

    try repo.target.write("etc/edit", "fixed by hand at 3am\n")
    try repo.target.setMode("etc/secret", 0o640)
    let drift = try await Infra.run(["plan", "--detailed-exitcode"], in: root)
    #expect(drift.code == 2, "\(drift)")
    #expect(drift.stdout.contains("~ test/files/local/etc/edit on local"))
    #expect(drift.stdout.contains("~ test/files/local/etc/secret on local"))
    #expect(drift.stdout.contains("Plan: 0 to create, 2 to update, 0 to delete, 3 unchanged."))

    let pull = try await Infra.run(["pull", "resources/test/files/local/etc"], in: root)
    #expect(pull.code == 1, "the mode cannot be written back: \(pull)")
    #expect(
      pull.stdout.contains(
        "wrote resources/test/files/local/etc/edit: content from local:\(target)/etc/edit, 21 bytes"
      ),
      "\(pull)")
    #expect(
      pull.stdout.contains(
        "set `secret: { mode: \"0640\" }` under `files:` in resources/test/files/local/etc/.infra-attrs.yaml"
      ))
    #expect(
      try repo.root.readText("resources/test/files/local/etc/edit") == "fixed by hand at 3am\n")
    let status = try git("status", "--porcelain")
    #expect(status == " M resources/test/files/local/etc/edit\n", "\(status)")
    #expect(try repo.target.readText("etc/edit") == "fixed by hand at 3am\n", "hosts untouched")

    try repo.resource("local/etc/.infra-attrs.yaml", "files:\n  secret: { mode: \"0640\" }\n")
    #expect(try await Infra.run(["plan", "--detailed-exitcode"], in: root).code == 0)
    let nothing = try await Infra.run(["pull", "test/files/local/etc/edit"], in: root)
    #expect(
      nothing.stdout == "Nothing to pull: the repository already declares what the hosts have.\n")
  }

  @Test func deletionsOfFilesWithAwkwardNames() async throws {
    let names = ["with space", "new\nline", "ünïcödé", "$(touch pwned)", "-n"]
    for name in names { try repo.resource("local/odd/\(name)", "\(name)\n") }
    try repo.resource("local/odd/binary", data: Data([0, 1, 2, 255, 10, 0]))
    try commitAll("odd names")
    #expect(try await Infra.run(["apply", "--yes"], in: root).code == 0)
    for name in names + ["binary"] {
      try git("rm", "-q", "resources/test/files/local/odd/\(name)")
    }
    let plan = try await Infra.run(["plan", "--changed", "--detailed-exitcode"], in: root)
    #expect(plan.code == 2, "\(plan)")
    #expect(plan.stdout.contains("Plan: 0 to create, 0 to update, 6 to delete, 0 unchanged."))
    #expect(try await Infra.run(["apply", "--yes", "--changed"], in: root).code == 0)
    #expect(repo.target.files().isEmpty)
    #expect(!FileManager.default.fileExists(atPath: root.appending(path: "pwned").path))
  }
}

extension GitWorkflowEndToEndTests {
  /// `infra apply FILE` announces what the saved plan changes, not every resource of the
  /// repository; and `infra show` reads a run's own plan.json as it reads a saved plan.
  @Test func aSavedPlansRunAnnouncesItsChangesAndARunsPlanCanBeShown() async throws {
    try await committedAndApplied()
    try repo.resource("local/etc/edit", "edit v3\n")
    #expect(try await Infra.run(["plan", "--out", "one.plan"], in: root).code == 0)
    let events = root.appending(path: "events.jsonl").path
    let apply = try await Infra.run(["apply", "one.plan", "--events", events], in: root)
    #expect(apply.code == 0, "\(apply)")
    let first = try String(contentsOfFile: events, encoding: .utf8).split(separator: "\n").first
    let start = try #require(
      try JSONSerialization.jsonObject(with: Data((first ?? "").utf8)) as? [String: Any])
    #expect(start["event"] as? String == "run_start")
    let data = start["data"] as? [String: Any]
    #expect(data?["kind"] as? String == "apply")
    #expect(data?["hosts"] as? [String] == ["local"])
    #expect(data?["resources"] as? Int == 1, "one change, of the repository's four resources")

    let runs = root.appending(path: ".infra/runs")
    let last = try #require(
      try FileManager.default.contentsOfDirectory(atPath: runs.path).sorted().last)
    let shown = try await Infra.run(["show", ".infra/runs/\(last)/plan.json"], in: root)
    #expect(shown.code == 0, "\(shown)")
    #expect(shown.stdout.contains("~ test/files/local/etc/edit on local"), "\(shown)")
    let markdown = try await Infra.run(
      ["show", "--markdown", ".infra/runs/\(last)/plan.json"], in: root)
    #expect(markdown.stdout.contains("| 🟡 update | `test/files/local/etc/edit` | local |"))
    #expect(!markdown.stdout.contains("infra apply PLANFILE"), "a run's plan is no saved plan")
  }

  /// The documented CI flow applies a plan downloaded as an artifact: one edited on the way
  /// (its path pointed elsewhere) is refused before anything is read or applied.
  @Test func aSavedPlanEditedByHandIsRefusedBeforeAnythingIsRead() async throws {
    try await committedAndApplied()
    try repo.resource("local/etc/edit", "edit v2\n")
    #expect(try await Infra.run(["plan", "--out", "change.plan"], in: root).code == 0)
    let planFile = root.appending(path: "change.plan")
    let saved = try String(contentsOf: planFile, encoding: .utf8)
    #expect(saved.hasPrefix("{\n  \"digest\" : \"sha256:"), "\(saved.prefix(200))")
    let edited = saved.replacingOccurrences(of: "\(target)/etc/edit", with: "\(target)/etc/keep")
    #expect(edited != saved)
    try edited.write(to: planFile, atomically: true, encoding: .utf8)

    for command in [["apply", "change.plan"], ["show", "change.plan"]] {
      let (run, usage) = try await Infra.measured(command, in: root)
      #expect(run.code == 1, "\(run)")
      #expect(
        run.stderr.contains(
          "change.plan: its digest does not match its content: it was changed after `infra plan --out` saved it"
        ), "\(run)")
      #expect(!run.stdout.contains("Applying"), "\(run)")
      #expect(usage.isSmall, "\(usage)")
    }
    #expect(try repo.target.readText("etc/edit") == "edit v1\n")
    #expect(try repo.target.readText("etc/keep") == "keep v1\n")

    let missing = try await Infra.run(["show", "chnage.plan"], in: root)
    #expect(missing.code == 1)
    #expect(
      missing.stderr.contains(
        "chnage.plan: error: there is no such file\n  hint: did you mean 'change.plan'?"),
      "\(missing)")
  }

  /// The digest is no signature: a plan sealed again by hand that names a file outside the
  /// repository (`/dev/zero`, which would be read for ever) is refused, unread.
  @Test func aResealedPlanNamingAFileOutsideTheRepositoryIsRefused() async throws {
    try await committedAndApplied()
    try repo.resource("local/etc/edit", "edit v2\n")
    #expect(try await Infra.run(["plan", "--out", "change.plan"], in: root).code == 0)
    let saved = try String(contentsOf: root.appending(path: "change.plan"), encoding: .utf8)
    let head = "{\n  \"digest\" : \"sha256:"
    let rest = saved.dropFirst(head.count + 64 + 2).dropLast()
    let body =
      "{"
      + rest.replacingOccurrences(
        of: "\"path\" : \"infra.yaml\"", with: "\"path\" : \"../../../../../../../dev/zero\"")
    let scratch = try TemporaryFolder("reseal")
    let bodyFile = try scratch.write("body", body)
    let sum = scratch.appending("sum").path
    #expect(try ChildProcess.run("/usr/bin/sha256sum", [bodyFile.path], stdout: sum) == 0)
    let digest = try scratch.readText("sum").prefix(64)
    try (head + digest + "\"," + body.dropFirst() + "\n").write(
      to: root.appending(path: "change.plan"), atomically: true, encoding: .utf8)

    let (run, usage) = try await Infra.measured(["apply", "change.plan"], in: root)
    #expect(run.code == 1, "\(run)")
    #expect(
      run.stderr.contains(
        "cannot apply change.plan: it names \"../../../../../../../dev/zero\" among its files, which is not a path in the repository"
      ), "\(run)")
    #expect(usage.isSmall, "\(usage)")
    #expect(try repo.target.readText("etc/edit") == "edit v1\n")
  }
}
