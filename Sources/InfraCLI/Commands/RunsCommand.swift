import ArgumentParser
import Foundation
import InfraCore
import InfraEngine

/// `infra runs`: the runs `.infra/runs/` keeps, newest first, as ansible-runner keeps artifacts.
struct RunsCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "runs",
    abstract: "List the past runs kept in .infra/runs/, newest first.",
    discussion: """
      Every plan, apply, pull, import, run and unlock is kept with its events, plan and output \
      (`runs: { keep: N }` in infra.yaml, 20 by default). `infra show RUN-ID` shows one.
      """)

  @OptionGroup var global: GlobalOptions

  @Flag(help: "Print the runs as JSON, one object each.")
  var json = false

  func run() async throws {
    let session = try Session(global)
    let runs = RunHistory.runs(in: session.repository.runsURL)
    let console = session.console
    if json {
      console.out(JSONValue.array(runs.map(\.json)).pretty(indent: 0) + "\n")
      return
    }
    guard !runs.isEmpty else {
      console.out("No runs yet: every plan, apply, pull, import and run is kept here.\n")
      return
    }
    var table = TextTable(
      header: ["RUN", "STARTED", "KIND", "STATUS", "RC", "CHANGES", "HOSTS", "COMMAND"])
    for run in runs {
      table.rows.append([
        run.id, run.started, run.kind ?? "-", run.status, run.rc.map(String.init) ?? "-",
        run.summary.map { "+\($0.create) ~\($0.update) -\($0.delete)" } ?? "-",
        run.hosts.count == 1 ? run.hosts[0] : "\(run.hosts.count)",
        run.command.visible.clipped(to: 60),
      ])
    }
    console.out(table.render(console.styler))
  }
}

extension PastRun {
  /// The run as `infra runs --json` prints it.
  var json: JSONValue {
    var object: [String: JSONValue] = [
      "id": .string(id), "command": .string(command), "status": .string(status),
      "hosts": .array(hosts.map(JSONValue.string)), "stats": .object(stats),
      "kind": kind.map(JSONValue.string) ?? .null, "rc": rc.map(JSONValue.int) ?? .null,
      "duration_ms": durationMilliseconds.map(JSONValue.int) ?? .null,
    ]
    if let summary { object["summary"] = summary.json }
    return .object(object)
  }
}
