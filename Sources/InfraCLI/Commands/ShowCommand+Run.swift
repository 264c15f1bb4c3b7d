import ArgumentParser
import Foundation
import InfraCore
import InfraEngine

extension ShowCommand {
  /// `infra show RUN-ID`: a past run (or the one whose id starts or ends with it), with its plan
  /// and how each host ended. False when `file` names no run of the repository here.
  func showRun(_ console: Console) throws -> Bool {
    // Outside a repository there is no run to show, and nothing to say about it here.
    guard !FileManager.default.fileExists(atPath: file), !file.contains("/"),
      Repository.find(from: GlobalOptions.start(global.repo)) != nil,
      let session = try? Session(global)
    else { return false }
    let matches = RunHistory.run(file, in: session.repository.runsURL)
    guard let run = matches.first else { return false }
    guard matches.count == 1 else {
      session.report([
        .error(
          "'\(file)' is the start or end of \(matches.count) run ids",
          hint: "give more of it; `infra runs` lists them: "
            + matches.prefix(3).map(\.id).joined(separator: ", "))
      ])
      throw ExitCode.failure
    }
    let plan = try run.plan()
    if json {
      guard let plan else {
        console.out(run.json.pretty(indent: 0) + "\n")
        return true
      }
      console.stream { PlanDocument(plan).write(to: $0) }
      return true
    }
    if markdown, let plan {
      console.out(MarkdownPlanRenderer(maxCharacters: maxChars).render(plan, saved: nil))
      return true
    }
    let style = console.styler
    var head = style("Run \(run.id)", .bold) + ": \(run.kind ?? "run"), \(run.status)"
    if let rc = run.rc { head += ", exit \(rc)" }
    if let milliseconds = run.durationMilliseconds {
      head += ", \(Duration.milliseconds(milliseconds).shortDescription)"
    }
    console.out(head + "\n  started \(run.started): \(run.command.visible)\n\n")
    if let plan {
      console.stream { PlanRenderer(style: style).render(plan, to: $0) }
      console.out("\n")
    }
    var table = TextTable(
      header: ["HOST", "OK", "CHANGED", "FAILED", "UNREACHABLE", "UNCHANGED", "SKIPPED"],
      numeric: [1, 2, 3, 4, 5, 6])
    for host in run.hosts {
      let stats = run.stats[host]
      func count(_ key: String) -> String { stats?[key]?.intValue.map(String.init) ?? "-" }
      table.rows.append(
        [host] + ["ok", "changed", "failed", "unreachable", "unchanged", "skipped"].map(count))
    }
    console.out(table.render(style))
    console.out(
      "\nIts events, plan and output are in \(session.repository.relativePath(of: run.folder))/.\n")
    return true
  }
}
