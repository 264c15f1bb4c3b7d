import InfraCore

extension FilesLoader {
  /// What a folder's files inherit: the shared defaults, then each attribute file from the
  /// tree's top down, with the attribute files that contributed.
  typealias Inherited = (attributes: AttributesFile.Attributes, sources: [String])

  /// Attributes for `name` in `folder`: shared defaults, then each folder from the tree's top
  /// down, then the file's own entry. Also returns the attribute files that contributed.
  func resolveAttributes(
    _ tree: Tree, shared: AttributesFile?, folder: String, name: String
  ) -> (AttributesFile.Attributes, [String], AttributesFile.Entry?) {
    var inherited: [String: Inherited] = [:]
    return resolveAttributes(
      tree, shared: shared, folder: folder, name: name, inherited: &inherited)
  }

  /// As above, with what each folder inherits kept in `inherited`: a folder of many files
  /// resolves its folders once.
  func resolveAttributes(
    _ tree: Tree, shared: AttributesFile?, folder: String, name: String,
    inherited: inout [String: Inherited]
  ) -> (AttributesFile.Attributes, [String], AttributesFile.Entry?) {
    if inherited[folder] == nil {
      var attributes = shared?.defaults ?? AttributesFile.Attributes()
      var sources = shared.map { [$0.path] } ?? []
      var folders = [""]
      var path = ""
      for part in folder.split(separator: "/") {
        path = path.isEmpty ? String(part) : "\(path)/\(part)"
        folders.append(path)
      }
      for candidate in folders {
        if let file = tree.attributes[candidate] {
          attributes = attributes.overridden(by: file.defaults)
          sources.append(file.path)
        }
      }
      inherited[folder] = (attributes, sources)
    }
    var (attributes, sources) = inherited[folder]!
    let files = tree.attributes[folder]?.files
    // A template's settings may name it as the repository does or as the host will.
    let onHost = Self.isTemplateName(name) ? String(name.dropLast(9)) : nil
    let entry = files?[name] ?? files?[name + ".age"] ?? onHost.flatMap { files?[$0] }
    if let entry { attributes = attributes.overridden(by: entry.attributes) }
    return (attributes, sources, entry)
  }
}
