import ArgumentParser
import Foundation
import InfraCore

/// What the shell completes from the repository: host names and `@groups` of infra.yaml, and
/// resource files and folders. The scripts `infra --generate-completion-script SHELL` prints
/// call back into `infra` for these, so they are always the repository's own.
enum Completions {
  /// Host names and `@groups`; after a comma (`--limit web1,`), the next one.
  static let hosts = CompletionKind.custom { arguments, _, prefix in targets(arguments, prefix) }
  /// Files and folders below `resources/`, and the folders on the way there.
  static let paths = CompletionKind.custom { arguments, _, prefix in
    resourcePaths(arguments, prefix)
  }

  /// The repository the command line names with `-C`/`--repo`, or the one around here.
  static func repository(_ arguments: [String]) -> Repository? {
    var repo: String?
    for (index, argument) in arguments.enumerated() {
      if ["-C", "--repo"].contains(argument), index + 1 < arguments.count {
        repo = arguments[index + 1]
      } else if argument.hasPrefix("--repo=") {
        repo = String(argument.dropFirst(7))
      }
    }
    return Repository.find(from: GlobalOptions.start(repo))
  }

  static func targets(_ arguments: [String], _ prefix: String) -> [String] {
    guard let repository = repository(arguments),
      let config = ConfigLoader.load(from: repository.configURL).0
    else { return [] }
    var groups: Set<String> = ["all"]
    for host in config.hosts { groups.formUnion(host.groups.map(\.value)) }
    let names = config.hosts.map(\.name) + groups.sorted().map { "@" + $0 }
    let head = prefix.lastIndex(of: ",").map { String(prefix[...$0]) } ?? ""
    let last = String(prefix.dropFirst(head.count))
    return names.filter { $0.hasPrefix(last) }.map { head + $0 }
  }

  static func resourcePaths(_ arguments: [String], _ prefix: String) -> [String] {
    guard let repository = repository(arguments) else { return [] }
    let here = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
    let typedFolder = prefix.lastIndex(of: "/").map { String(prefix[...$0]) } ?? ""
    let start = String(prefix.dropFirst(typedFolder.count))
    let folder = URL(fileURLWithPath: typedFolder.isEmpty ? "." : typedFolder, relativeTo: here)
      .standardizedFileURL
    let resources = repository.resourcesURL.standardizedFileURL.path
    let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
    var found: [String] = []
    for name in names.sorted() where !name.hasPrefix(".") && name.hasPrefix(start) {
      let path = folder.appending(path: name).path
      var isFolder: ObjCBool = false
      guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else { continue }
      // Inside resources/, anything; outside it, only the folders that lead to it.
      if path == resources || path.hasPrefix(resources + "/") {
        found.append(typedFolder + name + (isFolder.boolValue ? "/" : ""))
      } else if isFolder.boolValue, resources.hasPrefix(path + "/") {
        found.append(typedFolder + name + "/")
      }
    }
    return found
  }
}
