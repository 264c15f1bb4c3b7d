import InfraCore
import InfraEngine

/// The human view of an apply: a line per op as it finishes, then the results table.
package struct ApplyRenderer: Sendable {
  package var style: Styler

  package init(style: Styler) {
    self.style = style
  }

  /// One line for an op that finished or was skipped, printed while the apply runs.
  package func progressLine(_ event: RunEvent) -> String? {
    switch event {
    case .opOK(let change):
      let verb =
        switch change.action {
        case .create: "created"
        case .update: "updated"
        case .delete: "deleted"
        }
      return "  " + style("✓", .green)
        + " \(change.address.description.visible) on \(change.host): \(verb)\n"
    case .opFailed(let change, let message):
      return "  " + style("✗", .red)
        + " \(change.address.description.visible) on \(change.host): \(style("failed:", .red)) \(message.visibleLines(indent: "      "))\n"
    case .opSkipped(let change, let reason):
      return "  " + style("-", .dim)
        + " \(change.address.description.visible) on \(change.host): skipped, \(reason.visible)\n"
    default:
      return nil
    }
  }

  package func render(_ result: ApplyResult, status: RunStatus? = nil) -> String {
    var text = ""
    if result.plan.hasFailures {
      text += PlanRenderer(style: style).renderFailures(
        result.plan.failures, heading: "Not planned:")
      text += "\n"
    }
    let unchanged = result.plan.unchanged.count
    var counts = "\(result.changedCount) changed, \(result.failedCount) failed"
    if result.unreachableCount > 0 { counts += ", \(result.unreachableCount) unreachable" }
    if result.skippedCount > 0 { counts += ", \(result.skippedCount) skipped" }
    counts += ", \(unchanged) unchanged"
    switch status {
    case .canceled?: text += style("Apply canceled:", .bold, .yellow) + " \(counts).\n"
    case .timeout?: text += style("Apply timed out:", .bold, .red) + " \(counts).\n"
    default:
      text +=
        result.succeeded
        ? style("Apply complete:", .bold, .green) + " \(counts).\n"
        : style("Apply failed:", .bold, .red) + " \(counts).\n"
    }
    text += "\n" + table(result.stats)
    return text
  }

  func table(_ stats: [ApplyStats]) -> String {
    var table = TextTable(
      header: ["CONNECTOR", "HOST", "CHANGED", "FAILED", "UNREACHABLE", "SKIPPED", "UNCHANGED"],
      numeric: [2, 3, 4, 5, 6])
    for entry in stats {
      table.rows.append([
        entry.connector?.description ?? "(all)", entry.host, String(entry.changed),
        String(entry.failed), String(entry.unreachable), String(entry.skipped),
        String(entry.unchanged),
      ])
    }
    return table.render(style)
  }
}
