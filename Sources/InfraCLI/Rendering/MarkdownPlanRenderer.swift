import InfraCore
import InfraEngine

/// A saved plan as a pull-request comment (GitHub-flavoured Markdown): a summary line, a table
/// of every change, then each diff folded under `<details>`, as Atlantis comments plans.
package struct MarkdownPlanRenderer: Sendable {
  package init() {}

  package func render(_ saved: SavedPlan) -> String {
    render(saved.plan, saved: saved)
  }

  /// `plan`, with where and when it was made when it is a saved plan.
  func render(_ plan: Plan, saved: SavedPlan?) -> String {
    let summary = plan.summary
    var text = "### infra plan: \(summary.create) to create, \(summary.update) to update, "
    text += "\(summary.delete) to delete, \(summary.unchanged) unchanged\n\n"
    if let saved { text += facts(saved) + "\n\n" }
    for warning in plan.diagnostics {
      text += "> ⚠️ \(escape(warning.description))\n"
    }
    if !plan.diagnostics.isEmpty { text += "\n" }
    guard plan.hasChanges else {
      if plan.hasFailures || !plan.skipped.isEmpty {
        let left = plan.summary.failed + plan.skipped.count
        return text
          + "**Not complete:** \(left) \(left == 1 ? "resource" : "resources") could not be planned or \(left == 1 ? "was" : "were") not read.\n"
      }
      return text + "**No changes:** the hosts match the repository.\n"
    }
    text += "| | resource | host | change |\n| --- | --- | --- | --- |\n"
    for change in plan.changes {
      text +=
        "| \(icon(change.action)) \(change.action.rawValue) | `\(code(change.address.description))` "
        + "| \(escape(change.host)) | \(escape(change.op.message)) |\n"
    }
    text += "\n"
    for change in plan.changes where change.op.diff != nil || !change.op.details.isEmpty {
      text +=
        "<details><summary>\(icon(change.action)) <code>\(html(change.address.description))</code> on \(html(change.host))</summary>\n\n"
      for detail in change.op.details {
        text += "- \(escape(detail))\n"
      }
      if let diff = change.op.diff {
        let fence = String(repeating: "`", count: max(3, longestRun(of: "`", in: diff) + 1))
        let shown = diff.split(separator: "\n", omittingEmptySubsequences: false)
          .map { String($0).visibleExceptTabs }.joined(separator: "\n")
        text += (change.op.details.isEmpty ? "" : "\n") + "\(fence)diff\n\(shown)"
        text += (diff.hasSuffix("\n") ? "" : "\n") + "\(fence)\n"
      }
      text += "\n</details>\n\n"
    }
    if saved != nil {
      text +=
        "Apply exactly this plan with `infra apply PLANFILE`; it stops if anything moved since.\n"
    }
    return text
  }

  /// `commit 0123456789ab · change set since origin/main (fedcba987654) · planned … · run …`
  private func facts(_ saved: SavedPlan) -> String {
    var facts: [String] = []
    if let commit = saved.repository.commit {
      facts.append(
        "commit `\(commit.prefix(12))`"
          + (saved.repository.dirty ? " (with uncommitted changes)" : ""))
    }
    if saved.repository.changedOnly, let base = saved.repository.base {
      let resolved = saved.repository.baseCommit.map { " (`\($0.prefix(12))`)" } ?? ""
      facts.append("change set since `\(escape(base))`\(resolved)")
    }
    if let limit = saved.repository.limit {
      facts.append("limited to " + limit.map { "`\(escape($0))`" }.joined(separator: ", "))
    }
    facts.append("planned \(saved.createdAt)")
    facts.append("run `\(saved.runID)`")
    return facts.joined(separator: " · ")
  }

  private func icon(_ action: Action) -> String {
    switch action {
    case .create: "🟢"
    case .update: "🟡"
    case .delete: "🔴"
    }
  }

  /// Text safe in a table cell or a paragraph: no pipes, no line breaks, no HTML.
  private func escape(_ text: String) -> String {
    html(text).replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
  }

  /// Text inside a code span of a table cell.
  private func code(_ text: String) -> String {
    text.visible.replacingOccurrences(of: "`", with: "'").replacingOccurrences(of: "|", with: "\\|")
  }

  private func html(_ text: String) -> String {
    text.visible.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(
      of: "<", with: "&lt;"
    )
    .replacingOccurrences(of: ">", with: "&gt;")
  }

  private func longestRun(of character: Character, in text: String) -> Int {
    var longest = 0
    var current = 0
    for c in text {
      current = c == character ? current + 1 : 0
      longest = max(longest, current)
    }
    return longest
  }
}
