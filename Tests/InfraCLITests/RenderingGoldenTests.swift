import Foundation
import InfraCore
import Testing

@testable import InfraCLI
@testable import InfraEngine

/// Golden files (`Renderings/`) for the rest of what users read: diagnostics with their line
/// and caret, the apply's lines and results table, `infra run`'s and `infra unlock`'s output,
/// and the progress line.
@Suite struct RenderingGoldenTests {
  func address(_ path: String) -> Address {
    Address(prefix: "prod", segments: path.split(separator: "/").map(String.init))
  }

  func change(_ path: String, _ action: Action, host: String = "web1") -> Change {
    Change(
      host: host,
      op: PlannedOp(
        address: address(path), action: action, message: "\(action.rawValue) /\(path)",
        payload: .null),
      sources: [], notes: [], liveFingerprint: "x")
  }

  @Test func diagnosticsShowTheLineTheCaretAndTheHint() throws {
    let lines = [
      "infra.yaml": ["version: 1", "hosts:", "  web1: { connect: sssh://deploy@10.0.0.5 }"],
      "resources/prod/crontab/web1/app": ["MAILTO=ops", "\tevery day: backup"],
    ]
    let renderer = DiagnosticRenderer(style: .plain) { file, line in
      lines[file].flatMap { $0.indices.contains(line - 1) ? $0[line - 1] : nil }
    }
    let text = renderer.render([
      .error(
        "host 'web1' has an invalid 'connect' value 'sssh://deploy@10.0.0.5': unknown transport 'sssh'",
        at: SourceLocation(file: "infra.yaml", line: 3, column: 20),
        hint: "did you mean 'ssh'? transports: local, ssh"),
      .error(
        "line 2 is neither an entry, a comment nor a variable",
        at: SourceLocation(file: "resources/prod/crontab/web1/app", line: 2, column: 2)),
      .warning(
        "resources/prod/files/web1/notes.txt~ is not claimed by connector 'files': an editor's backup, so it is not managed",
        at: SourceLocation(file: "resources/prod/files/web1/notes.txt~"),
        hint: "move or delete it if it is not meant to be a resource"),
      .error(
        "two connectors claim the folder resources/prod/files/",
        at: SourceLocation(file: "infra.yaml", line: 2, column: 1),
        notes: [.init("the first is here", at: SourceLocation(file: "infra.yaml", line: 1))]),
    ])
    try Golden.check(text, "Renderings/diagnostics.txt")
  }

  @Test func anApplyShowsEachOpThenTheResultsTable() throws {
    let created = change("files/web1/etc/motd", .create)
    let failed = change("files/web2/etc/motd", .update, host: "web2")
    let skipped = change("files/web2/etc/issue", .delete, host: "web2")
    let plan = Plan(
      changes: [created, failed, skipped],
      unchanged: [ResourceRef(address: address("files/web1/etc/hosts"), host: "web1")],
      failures: [.unreachable("db1", "connection refused by 10.0.0.9:22", resources: 3)])
    let outcomes = [
      ChangeOutcome(change: created, status: .applied),
      ChangeOutcome(change: failed, status: .failed("permission denied")),
      ChangeOutcome(
        change: skipped,
        status: .skipped("not applied because prod/files/web2/etc/motd failed on web2")),
    ]
    let result = ApplyResult(
      plan: plan, outcomes: outcomes,
      stats: Applier.stats(
        plan, outcomes, connectors: [ConnectorID(prefix: "prod", name: "files")],
        hosts: ["web1", "web2", "db1"]))
    let renderer = ApplyRenderer(style: .plain)
    var text = ""
    for event in [
      RunEvent.opOK(created), .opFailed(failed, message: "permission denied"),
      .opSkipped(skipped, reason: "not applied because prod/files/web2/etc/motd failed on web2"),
    ] {
      text += renderer.progressLine(event) ?? ""
    }
    text += "\n" + renderer.render(result, status: .failed)
    try Golden.check(text, "Renderings/apply-results.txt")
  }

  @Test func runAndUnlockShowEachHostThenASummary() throws {
    let commands = [
      CommandOutcome(
        host: "web1", status: .exited(0), stdout: Data("up 3 days\n".utf8), stderr: Data(),
        duration: .milliseconds(42)),
      CommandOutcome(
        host: "web2", status: .exited(3), stdout: Data("half\n".utf8),
        stderr: Data("no such file".utf8), duration: .milliseconds(1500)),
      CommandOutcome(
        host: "db1", status: .unreachable("connection refused by 10.0.0.9:22"), stdout: Data(),
        stderr: Data(), duration: .zero),
      CommandOutcome(
        host: "db2", status: .failed("command timed out on db2 after 5s and was stopped"),
        stdout: Data(), stderr: Data(), duration: .seconds(5)),
      CommandOutcome(
        host: "db3", status: .stopped, stdout: Data(), stderr: Data(), duration: .zero),
    ]
    let renderer = CommandRenderer(style: .plain)
    var text = commands.map(renderer.render).joined() + renderer.summary(commands) + "\n"
    let holder = LockHolder(
      run: "20261121T214000.000Z-abcdef", user: "alice", machine: "laptop", pid: 4242,
      since: "2026-11-21T21:40:00.000Z", checkout: "/src/infra")
    for outcome in [
      UnlockOutcome(host: "web1", status: .removed(holder: holder, raw: "")),
      UnlockOutcome(host: "web2", status: .removed(holder: nil, raw: "garbage")),
      UnlockOutcome(host: "db1", status: .notLocked),
      UnlockOutcome(host: "db2", status: .unreachable("connection refused by 10.0.0.9:22")),
      UnlockOutcome(host: "db3", status: .failed("rm: cannot remove: Permission denied")),
    ] {
      text += renderer.render(outcome)
    }
    try Golden.check(text, "Renderings/run-and-unlock.txt")
  }

  @Test func theProgressLineSaysWhereTheRunIs() throws {
    var lines: [String] = []
    var counts = ProgressCounts()
    counts.count(.runStart(kind: .plan, hosts: ["web1", "web2"], resources: 10))
    lines.append(counts.line(elapsed: .milliseconds(250)))
    for _ in 0..<4 {
      counts.count(.resourceRead(host: "web1", address: address("x/y"), exists: true))
    }
    counts.count(.hostDone(HostStats(host: "web1")))
    lines.append(counts.line(elapsed: .milliseconds(1500)))
    let change = change("files/web1/a", .create)
    counts.count(.changePlanned(change))
    counts.count(.changePlanned(change))
    counts.count(.opStart(change))
    counts.count(.opOK(change))
    counts.count(.opFailed(change, message: "broke"))
    lines.append(counts.line(elapsed: .seconds(3)))
    for kind in [RunKind.pull, .import, .command, .unlock] {
      var other = ProgressCounts()
      other.count(.runStart(kind: kind, hosts: ["web1", "web2", "db1"], resources: 3))
      other.count(.hostDone(HostStats(host: "web1")))
      lines.append(other.line(elapsed: .seconds(62)))
    }
    try Golden.check(lines.joined(separator: "\n") + "\n", "Renderings/progress.txt")
  }
}
