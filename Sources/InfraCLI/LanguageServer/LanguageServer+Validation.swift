import Foundation
import InfraCore
import InfraEngine
import InfraKit

extension LanguageServer {
  /// Loads the repository as `infra validate` does, with the open documents as the editor has
  /// them, and publishes every file's diagnostics (an empty list for a file that has none now).
  func validate() async {
    guard let root else { return }
    _ = config  // infra.yaml as it is now, kept while later edits leave it half typed
    let shadow: URL
    do {
      shadow = try ShadowRepository.make(of: root, overlay: overlay())
    } catch {
      notify(
        "window/logMessage",
        .object([
          "type": .int(1), "message": .string("infra lsp cannot copy the repository: \(error)"),
        ]))
      return
    }
    defer { try? FileManager.default.removeItem(at: shadow) }
    let outcome = await RepositoryLoader().load(Repository(root: shadow))
    if let workspace = outcome.workspace {
      connectorTypes = Dictionary(
        workspace.connectors.map { ($0.name, $0.info) }
      ) { first, _ in first }
      await workspace.close()
    }
    var byFile: [String: [JSONValue]] = [:]
    for diagnostic in outcome.diagnostics.all {
      let file = diagnostic.location?.file ?? Repository.configFileName
      let line = max((diagnostic.location?.line ?? 1) - 1, 0)
      let column = max((diagnostic.location?.column ?? 1) - 1, 0)
      var message = diagnostic.message.replacingOccurrences(of: shadow.path, with: root.path)
      if let hint = diagnostic.hint { message += "\nhint: " + hint }
      let position = JSONValue.object(["line": .int(line), "character": .int(column)])
      byFile[uri(of: file), default: []].append(
        .object([
          "range": .object(["start": position, "end": position]),
          "severity": .int(diagnostic.severity == .error ? 1 : 2),
          "source": .string("infra"), "message": .string(message),
        ]))
    }
    for uri in published.union(byFile.keys).sorted() {
      notify(
        "textDocument/publishDiagnostics",
        .object(["uri": .string(uri), "diagnostics": .array(byFile[uri] ?? [])]))
    }
    published = Set(byFile.keys)
  }

  /// The open documents inside the repository, by repository-relative path.
  private func overlay() -> [String: String] {
    var files: [String: String] = [:]
    for (uri, text) in documents {
      if let path = relativePath(of: uri) { files[path] = text }
    }
    return files
  }
}

/// A copy of a repository to load with the editor's unsaved text in it: files are hard links
/// where the file system allows (copies elsewhere), in a private folder of `.infra/`, and an
/// overlaid file replaces its link, so the repository's own files are never written.
enum ShadowRepository {
  /// Folders at the top of a repository that are not part of what it declares.
  static let skipped: Set<String> = [".git", ".infra", ".build", ".swiftpm"]

  static func make(of root: URL, overlay: [String: String]) throws -> URL {
    let manager = FileManager.default
    let base = root.appending(path: ".infra/lsp")
    try PrivateFiles.makeFolder(base)
    removeLeftovers(in: base)
    let shadow = base.appending(path: "\(getpid())-\(UUID().uuidString.prefix(8))")
    try manager.createDirectory(at: shadow, withIntermediateDirectories: false)
    let rootPath = root.standardizedFileURL.path
    guard let walker = manager.enumerator(atPath: rootPath) else { return shadow }
    while let relative = walker.nextObject() as? String {
      if !relative.contains("/"), skipped.contains(relative) {
        walker.skipDescendants()
        continue
      }
      let source = rootPath + "/" + relative
      let target = shadow.path + "/" + relative
      var info = stat()
      guard lstat(source, &info) == 0 else { continue }
      switch info.st_mode & S_IFMT {
      case S_IFDIR: try manager.createDirectory(atPath: target, withIntermediateDirectories: true)
      case S_IFLNK:
        try manager.createSymbolicLink(
          atPath: target, withDestinationPath: try manager.destinationOfSymbolicLink(atPath: source)
        )
      case S_IFREG:
        if link(source, target) != 0 { try manager.copyItem(atPath: source, toPath: target) }
      default: continue
      }
    }
    for (relative, text) in overlay where !relative.split(separator: "/").contains("..") {
      let target = shadow.appending(path: relative)
      try? manager.removeItem(at: target)  // a link to the repository's own file: never written
      try manager.createDirectory(
        at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
      try Data(text.utf8).write(to: target)
    }
    return shadow
  }

  /// The copies of servers that were killed before they could remove theirs (named by pid).
  private static func removeLeftovers(in base: URL) {
    for name in (try? FileManager.default.contentsOfDirectory(atPath: base.path)) ?? [] {
      guard let pid = name.split(separator: "-").first.flatMap({ Int32($0) }), pid != getpid(),
        kill(pid, 0) != 0, errno == ESRCH
      else { continue }
      try? FileManager.default.removeItem(at: base.appending(path: name))
    }
  }
}
