import InfraCore

extension Workspace {
  /// An error for each of `patterns` that selects no resource of the workspace: a mistyped
  /// path must not plan nothing and say "No changes" (in CI, a typo would read as no drift).
  /// The hint names the closest existing name at the first part that selects nothing.
  package func unmatched(_ patterns: [AddressPattern]) -> [Diagnostic] {
    let addresses = connectors.flatMap { $0.resources.map(\.address) }
    return patterns.compactMap { pattern in
      guard !addresses.contains(where: pattern.matches) else { return nil }
      // The longest start of the pattern that still selects something.
      var known = AddressPattern(prefix: pattern.prefix, segments: [])
      for segment in pattern.segments {
        let longer = AddressPattern(prefix: pattern.prefix, segments: known.segments + [segment])
        guard addresses.contains(where: longer.matches) else { break }
        known = longer
      }
      let depth = known.segments.count
      let names = Set(
        addresses.filter(known.matches).compactMap {
          $0.segments.count > depth ? $0.segments[depth] : nil
        }
      ).sorted()
      guard !names.isEmpty else {
        return .error(
          "'\(pattern)' selects no resource: there are none under \(known)",
          hint: "add resource files there, or name another path")
      }
      var hint = ""
      if depth < pattern.segments.count,
        let match = closestMatch(to: pattern.segments[depth], in: names)
      {
        let suggestion = AddressPattern(prefix: pattern.prefix, segments: known.segments + [match])
        hint = "did you mean '\(suggestion)'? "
      }
      let shown = names.prefix(8).joined(separator: ", ") + (names.count > 8 ? ", …" : "")
      return .error(
        "'\(pattern)' selects no resource",
        hint: hint + "under \(known)/ there are: \(shown)")
    }
  }
}
