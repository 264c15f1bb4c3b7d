import InfraCore
import InfraEngine

/// The human view of a plan: each change with its address, host, message and diff, then any
/// failures, then the one-line summary. Pure: returns text, prints nothing.
package struct PlanRenderer: Sendable {
  package var style: Styler

  package init(style: Styler) {
    self.style = style
  }

  package func render(_ plan: Plan) -> String {
    var text = ""
    render(plan) { text += $0 }
    return text
  }

  /// Renders `plan` change by change into `sink`, so a large plan is never one string.
  package func render(_ plan: Plan, to sink: (String) -> Void) {
    if plan.hasChanges {
      sink(style("infra will make these changes:", .bold) + "\n\n")
      for change in plan.changes {
        sink(render(change) + "\n")
      }
    } else if !plan.hasFailures && plan.skipped.isEmpty {
      sink(style("No changes:", .bold, .green) + " the hosts match the repository.\n\n")
    }
    if let line = notReadLine(plan) { sink(line + "\n\n") }
    let locked = plan.hasFailures && plan.failures.allSatisfy { $0.kind == .locked }
    if plan.hasFailures {
      sink(
        renderFailures(plan.failures, heading: locked ? "Could not lock:" : "Could not plan:")
          + "\n")
    }
    // Without its locks an apply plans nothing: counts of nothing would read as a plan.
    if locked, !plan.hasChanges, plan.unchanged.isEmpty {
      let hosts = Set(plan.failures.map(\.host)).count
      sink(
        "Nothing was planned: the apply could not lock \(hosts == 1 ? "its host" : "\(hosts) hosts").\n"
      )
    } else {
      sink(summaryLine(plan.summary) + "\n")
    }
  }

  package func render(_ change: Change) -> String {
    let color: Style =
      switch change.action {
      case .create: .green
      case .update: .yellow
      case .delete: .red
      }
    var text = style("\(change.action.symbol) \(change.address.description.visible)", .bold, color)
    text += style(" on \(change.host)", .bold) + "\n"
    text += "    \(change.op.message.visible)\n"
    for detail in change.op.details {
      text += "    \(detail.visible)\n"
    }
    for note in change.notes {
      text += "    " + style("note:", .cyan) + " \(note.visible)\n"
    }
    if let diff = change.op.diff { appendDiff(diff, to: &text) }
    return text
  }

  /// The lines of a diff, indented and colored by their first bytes, written into one buffer:
  /// a plan of many new files has a line for each of their lines, and strings made per line
  /// were most of rendering it.
  private func appendDiff(_ diff: String, to text: inout String) {
    var output: [UInt8] = []
    output.reserveCapacity(diff.utf8.count + diff.utf8.count / 4 + 16)
    UnifiedDiff.forEachLine(ofDiff: diff) { appendDiffLine($0, to: &output) }
    text += String(decoding: output, as: UTF8.self)
  }

  private func appendDiffLine(_ line: UnsafeBufferPointer<UInt8>, to output: inout [UInt8]) {
    let color: Style? =
      if line.starts(with: "+++".utf8) || line.starts(with: "---".utf8) {
        .bold
      } else {
        switch line.first {
        case UInt8(ascii: "@") where line.starts(with: "@@".utf8): .cyan
        case UInt8(ascii: "+"): .green
        case UInt8(ascii: "-"): .red
        default: nil
        }
      }
    let escapes = color.flatMap { style.escapes($0) }
    output += "    ".utf8
    if let escapes { output += escapes.start.utf8 }
    if line.allSatisfy({ ($0 >= 0x20 && $0 < 0x7F) || $0 == 0x09 }) {
      output += line
    } else {
      output += String(decoding: line, as: UTF8.self).visibleExceptTabs.utf8
    }
    if let escapes { output += escapes.end.utf8 }
    output += "\n".utf8
  }

  package func renderFailures(_ failures: [Failure], heading: String) -> String {
    var text = style(heading, .bold, .red) + "\n"
    for failure in failures {
      text += "  " + style("✗", .red) + " \(failure.description.visibleLines(indent: "      "))\n"
    }
    return text
  }

  /// What `--changed` plans: `Change set since HEAD (3f2a9c1d0e4b): 2 changed files, 1 deleted.`
  package func changeSetLine(_ changes: ChangeSet) -> String {
    func files(_ count: Int) -> String { count == 1 ? "1 file" : "\(count) files" }
    let what = changes.stagedOnly ? "Staged changes" : "Change set"
    var line =
      "\(what) since \(changes.baseDescription): \(files(changes.changed.count)) changed, \(changes.deleted.count) deleted"
    if changes.configChanged {
      line += "; \(Repository.configFileName) changed too, so every resource is planned"
    }
    return style(line + ".", .bold) + "\n\n"
  }

  /// `Plan: 3 to create, 1 to update, 0 to delete, 120 unchanged.`
  /// What a stopped plan did not get to, if anything: nothing is known of those resources.
  package func notReadLine(_ plan: Plan) -> String? {
    guard !plan.skipped.isEmpty else { return nil }
    let count = plan.skipped.count
    return style("Not finished:", .bold, .yellow)
      + " \(count) \(count == 1 ? "resource was" : "resources were") not read, as the run stopped first; nothing is known of \(count == 1 ? "it" : "them")."
  }

  package func summaryLine(_ summary: Plan.Summary) -> String {
    var line =
      "Plan: \(summary.create) to create, \(summary.update) to update, \(summary.delete) to delete, \(summary.unchanged) unchanged"
    if summary.failed > 0 {
      line += ", " + style("\(summary.failed) failed", .red)
    }
    return style(line + ".", .bold)
  }
}
