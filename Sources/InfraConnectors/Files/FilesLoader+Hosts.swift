import InfraCore
import InfraEngine

extension FilesLoader {
  /// Gives each served host its paths: its own tree first, then its named groups, then `@all`.
  func assign(_ declared: [String: [String: Declared]], diagnostics: inout [Diagnostic])
    -> [Resource]
  {
    var resources: [Resource] = []
    var reported: Set<String> = []
    for host in settings.hosts {
      let namedGroups = host.groups.filter { $0 != Inventory.allGroup }
      let own = declared[host.name] ?? [:]
      let groups = namedGroups.compactMap { group in declared["@\(group)"].map { (group, $0) } }
      let all = declared["@\(Inventory.allGroup)"] ?? [:]
      var paths = Set(own.keys).union(all.keys)
      for (_, tree) in groups { paths.formUnion(tree.keys) }

      for path in paths.sorted() {
        let fromGroups = groups.compactMap { group, tree in tree[path].map { (group, $0) } }
        var chosen: Declared
        var overridden: [Declared] = []
        if let mine = own[path] {
          chosen = mine
          overridden = fromGroups.map(\.1) + (all[path].map { [$0] } ?? [])
        } else if fromGroups.count == 1 {
          chosen = fromGroups[0].1
          overridden = all[path].map { [$0] } ?? []
        } else if fromGroups.count > 1 {
          let files = fromGroups.map { $0.1.sources[0] }
          if reported.insert(files.joined(separator: "\u{0}")).inserted {
            diagnostics.append(
              .error(
                "host \(host.name) gets \(settings.hostPath(path)) from more than one group: \(files.joined(separator: ", "))",
                at: SourceLocation(file: files[0]),
                hint:
                  "add the host's own file resources/\(settings.prefix)/\(settings.name)/\(host.name)/\(path) to settle it, or keep the file in one group"
              ))
          }
          continue
        } else if let fallback = all[path] {
          chosen = fallback
        } else {
          continue
        }
        let notes = overridden.map { "overrides \($0.sources[0])" }
        resources.append(
          Resource(
            address: chosen.address, host: host.name, sources: chosen.sources,
            desired: chosen.desired.json, notes: notes,
            sensitive: chosen.desired.sensitive == true))
      }
    }
    return resources
  }
}
