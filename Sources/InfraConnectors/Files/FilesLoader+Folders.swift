import Foundation
import InfraCore
import InfraEngine

/// Folders as resources: a folder of a host or group tree that holds a `.gitkeep` or `.keep`
/// (git keeps no empty folder), that is empty, or whose `.infra-attrs.yaml` has `folder:`, is
/// a folder on those hosts, with the mode, owner and group `folder:` gives it (0755 and the
/// connecting user when new, unmanaged otherwise). The marker files are never installed.
extension FilesLoader {
  static let folderMarkers: Set<String> = [".gitkeep", ".keep"]

  /// Empty folders, found by discovery, as folders of their trees.
  func addEmptyFolders(_ folders: [Address], to trees: inout [String: Tree]) {
    for address in folders where address.segments.count > 2 {
      let target = address.segments[1]
      let marker = ResourceFile(
        address: address, url: settings.repository.root.appending(path: address.repositoryPath))
      if trees[target] == nil { trees[target] = Tree(target: target, firstFile: marker) }
      trees[target]!.folders[address.segments[2...].joined(separator: "/")] =
        address.repositoryPath + "/"
    }
  }

  func declareFolders(
    _ tree: Tree, shared: AttributesFile?, into declared: inout [String: Declared],
    diagnostics: inout [Diagnostic]
  ) {
    var folders = tree.folders
    for (relative, file) in tree.attributes where file.folder != nil {
      if relative.isEmpty {
        diagnostics.append(
          .error(
            "`folder:` in \(file.path) would set the connector's root on the host, which infra does not manage",
            at: SourceLocation(file: file.path),
            hint: "move the settings into the .infra-attrs.yaml of a folder below it"))
        continue
      }
      folders[relative] = folders[relative] ?? file.path
    }
    for (relative, source) in folders.sorted(by: { $0.key < $1.key }) {
      if let other = declared[relative] {
        diagnostics.append(
          .error(
            "\(source) declares the folder \(settings.hostPath(relative)), and \(other.sources[0]) a file there",
            at: SourceLocation(file: source), hint: "keep one of them"))
        continue
      }
      let parts = relative.split(separator: "/").map(String.init)
      let own = tree.attributes[relative]?.folder ?? AttributesFile.Attributes()
      let inherited = resolveAttributes(
        tree, shared: shared, folder: parts.dropLast().joined(separator: "/"),
        name: parts.last ?? relative
      ).0
      var sources = [source]
      if let attributes = tree.attributes[relative], attributes.path != source {
        sources.append(attributes.path)
      }
      declared[relative] = Declared(
        address: Address(prefix: settings.prefix, segments: [settings.name, tree.target] + parts),
        file: DesiredFile(
          path: settings.hostPath(relative), state: .present, mode: own.mode, owner: own.owner,
          group: own.group, declaredIn: source,
          replace: inherited.replace == true ? true : nil, folder: true),
        sources: sources)
    }
  }
}
