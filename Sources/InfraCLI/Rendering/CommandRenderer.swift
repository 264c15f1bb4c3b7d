import Foundation
import InfraEngine

/// The human view of `infra run` and `infra unlock`: a block per host as it finishes, then a
/// summary line.
struct CommandRenderer: Sendable {
  var style: Styler

  /// One host's outcome of `infra run`: a status line, then what the command printed.
  func render(_ outcome: CommandOutcome) -> String {
    let took = outcome.duration.shortDescription
    var text =
      switch outcome.status {
      case .exited(0): style("\(outcome.host) | ok | exit 0 | \(took)", .bold, .green) + "\n"
      case .exited(let code):
        style("\(outcome.host) | failed | exit \(code) | \(took)", .bold, .red) + "\n"
      case .unreachable(let reason): unreachable(outcome.host, reason)
      case .failed(let reason): style("\(outcome.host) | failed", .bold, .red) + " \(reason)\n"
      case .timedOut(let reason):
        style("\(outcome.host) | timed out | \(took)", .bold, .red) + " \(reason)\n"
      case .stopped: style("\(outcome.host) | canceled", .bold, .yellow) + "\n"
      }
    for (data, color) in [(outcome.stdout, nil), (outcome.stderr, Style.red)] where !data.isEmpty {
      var output = String(decoding: data, as: UTF8.self)
      if !output.hasSuffix("\n") { output += "\n" }
      text += color.map { style(output, $0) } ?? output
    }
    return text
  }

  /// `3 hosts: 1 ok, 1 failed, 1 unreachable.` (and how many were canceled, if any were)
  func summary(_ outcomes: [CommandOutcome]) -> String {
    let ok = outcomes.count(where: \.succeeded)
    let unreachable = outcomes.count {
      if case .unreachable = $0.status { true } else { false }
    }
    let canceled = outcomes.count { $0.status == .stopped }
    let failed = outcomes.count - ok - unreachable - canceled
    var counts = "\(ok) ok, \(failed) failed, \(unreachable) unreachable"
    if canceled > 0 { counts += ", \(canceled) canceled" }
    return style("\(count(outcomes.count, "host")):", .bold) + " \(counts).\n"
  }

  /// One host's outcome of `infra unlock`.
  func render(_ outcome: UnlockOutcome) -> String {
    switch outcome.status {
    case .removed(let holder, let raw):
      "Removed the lock on \(outcome.host) held by \(holder?.description ?? "'\(raw)'").\n"
    case .notLocked: "\(outcome.host) was not locked.\n"
    case .failed(let reason):
      style("\(outcome.host) | failed", .bold, .red) + " cannot unlock it: \(reason)\n"
    case .unreachable(let reason): unreachable(outcome.host, reason)
    case .stopped: style("\(outcome.host) | canceled", .bold, .yellow) + "\n"
    }
  }

  /// The words every command uses for a host it could not reach.
  private func unreachable(_ host: String, _ reason: String) -> String {
    style("\(host) | unreachable", .bold, .red) + " host \(host) is unreachable: \(reason)\n"
  }
}
