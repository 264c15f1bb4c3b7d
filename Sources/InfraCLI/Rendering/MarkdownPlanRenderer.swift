import InfraCore
import InfraEngine

/// A saved plan as a pull-request comment (GitHub-flavoured Markdown): a summary line, a table
/// of every change, then each diff folded under `<details>`, as Atlantis comments plans.
package struct MarkdownPlanRenderer: Sendable {
  /// GitHub refuses comments longer than this.
  package static let gitHubLimit = 65_536

  /// The longest comment made, in UTF-16 code units as GitHub counts; `nil` for no limit.
  package var maxCharacters: Int?

  package init(maxCharacters: Int? = nil) {
    self.maxCharacters = maxCharacters
  }

  package func render(_ saved: SavedPlan) -> String {
    render(saved.plan, saved: saved)
  }

  /// `plan`, with where and when it was made when it is a saved plan. Within `maxCharacters`,
  /// the summary and the table are kept whole (the table is cut only when it alone is too
  /// long), then as many diffs as fit, the first that does not cut short, and a note says
  /// where the rest is.
  func render(_ plan: Plan, saved: SavedPlan?) -> String {
    let summary = plan.summary
    var head = "### infra plan: \(summary.create) to create, \(summary.update) to update, "
    head += "\(summary.delete) to delete, \(summary.unchanged) unchanged\n\n"
    if let saved { head += facts(saved) + "\n\n" }
    for warning in plan.diagnostics {
      head += "> ⚠️ \(escape(warning.description))\n"
    }
    if !plan.diagnostics.isEmpty { head += "\n" }
    guard plan.hasChanges else {
      if plan.hasFailures || !plan.skipped.isEmpty {
        let left = plan.summary.failed + plan.skipped.count
        return head
          + "**Not complete:** \(left) \(left == 1 ? "resource" : "resources") could not be planned or \(left == 1 ? "was" : "were") not read.\n"
      }
      return head + "**No changes:** the hosts match the repository.\n"
    }
    let rows = plan.changes.map { change in
      "| \(icon(change.action)) \(change.action.rawValue) | `\(code(change.address.description))` "
        + "| \(escape(change.host)) | \(escape(change.op.message)) |\n"
    }
    let details = plan.changes.filter { $0.op.diff != nil || !$0.op.details.isEmpty }.map(details)
    let footer =
      saved == nil
      ? ""
      : "Apply exactly this plan with `infra apply PLANFILE`; it stops if anything moved since.\n"
    var budget = Budget(limit: maxCharacters)
    var text = head + "| | resource | host | change |\n| --- | --- | --- | --- |\n"
    budget.spend(text + footer)
    budget.reserve(Self.noteRoom)
    var shownRows = 0
    for row in rows where budget.fits(row) {
      text += row
      budget.spend(row)
      shownRows += 1
    }
    if shownRows < rows.count {
      text += "\n" + note("\(rows.count - shownRows) more changes and every diff are", saved: saved)
      return text + "\n" + footer
    }
    text += "\n"
    var shownDetails = 0
    for block in details {
      guard budget.fits(block) else {
        if let cut = budget.cut(block) {
          text += cut
          budget.spend(cut)
        }
        break
      }
      text += block
      budget.spend(block)
      shownDetails += 1
    }
    if shownDetails < details.count {
      let left = details.count - shownDetails
      text += note(left == 1 ? "1 diff is" : "\(left) diffs are", saved: saved) + "\n"
    }
    return text + footer
  }

  /// Room kept for the note that says what was left out.
  static let noteRoom = 400

  /// Where what did not fit is: the saved plan, or the full rendering.
  private func note(_ what: String, saved: SavedPlan?) -> String {
    let limit = maxCharacters?.grouped ?? ""
    let whereToLook =
      saved == nil
      ? "`infra show` without `--markdown` shows them"
      : "`infra show PLANFILE` shows them, and the saved plan (the run's artifact) holds them"
    return
      "> ✂️ \(what) not shown here, to keep this comment within \(limit) characters: \(whereToLook).\n"
  }

  /// One change's details and diff, folded.
  private func details(_ change: Change) -> String {
    var text =
      "<details><summary>\(icon(change.action)) <code>\(html(change.address.description))</code> on \(html(change.host))</summary>\n\n"
    for detail in change.op.details {
      text += "- \(escape(detail))\n"
    }
    if let diff = change.op.diff {
      let fence = String(repeating: "`", count: max(3, longestRun(of: "`", in: diff) + 1))
      text += (change.op.details.isEmpty ? "" : "\n") + "\(fence)diff\n"
      UnifiedDiff.forEachLine(ofDiff: diff) { line in
        text += String(decoding: line, as: UTF8.self).visibleExceptTabs + "\n"
      }
      text += "\(fence)\n"
    }
    return text + "\n</details>\n\n"
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

/// What is left of a comment's length as it is written.
private struct Budget {
  var left: Int?

  init(limit: Int?) {
    left = limit
  }

  static func size(_ text: String) -> Int { text.utf16.count }

  mutating func spend(_ text: String) {
    left = left.map { $0 - Self.size(text) }
  }

  mutating func reserve(_ count: Int) {
    left = left.map { $0 - count }
  }

  func fits(_ text: String) -> Bool {
    left.map { Self.size(text) <= $0 } ?? true
  }

  /// A folded diff cut at a line to what is left, closed properly; `nil` when little is left.
  func cut(_ block: String) -> String? {
    guard let left, left > 600 else { return nil }
    let lines = block.split(separator: "\n", omittingEmptySubsequences: false)
    guard let fenceLine = lines.first(where: { $0.hasSuffix("diff") && $0.hasPrefix("```") })
    else { return nil }
    let fence = String(fenceLine.dropLast(4))
    var text = ""
    var kept = 0
    let closing = "\(fence)\n… cut here: the rest of this diff is not shown\n\n</details>\n\n"
    for line in lines {
      let next = String(line) + "\n"
      guard Self.size(text + next + closing) <= left else { break }
      text += next
      kept += 1
    }
    guard kept > 3, kept < lines.count else { return nil }
    return text + closing
  }
}
