import InfraEngine

/// What a person should know about how a run ended, beyond what the command shows.
struct RunRenderer {
  var style: Styler

  /// A line for a run that was canceled or timed out; empty otherwise.
  func stopped(_ result: RunResult<some Sendable>) -> String {
    let skipped = result.stats.reduce(0) { $0 + $1.skipped }
    let rest =
      skipped == 0 || result.kind != .apply
      ? "" : "; \(count(skipped, "change")) not made: run it again to finish"
    switch result.status {
    case .canceled where result.declined:
      return ""  // Declined at the prompt, which said so.
    case .canceled:
      return style("Canceled", .bold, .yellow) + " (run \(result.id))\(rest).\n"
    case .timeout:
      return style("Timed out", .bold, .red) + " (run \(result.id))\(rest).\n"
    default:
      return ""
    }
  }
}
