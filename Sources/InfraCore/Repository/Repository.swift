import Foundation

/// A folder holding `infra.yaml`, `resources/` and `.infra/`: the user's source of truth.
public struct Repository: Sendable {
  /// The config file at the root, whose presence marks a repository.
  public static let configFileName = "infra.yaml"
  /// The folder at the root that holds resource files, one folder per prefix.
  public static let resourcesFolderName = "resources"

  /// The folder that holds `infra.yaml`, as an absolute, standardized file URL.
  public let root: URL

  /// The repository at `root`; nothing is read until it is loaded.
  public init(root: URL) {
    self.root = root.standardizedFileURL
  }

  /// Where `infra.yaml` is.
  public var configURL: URL { root.appending(path: Self.configFileName) }
  /// Where `resources/` is.
  public var resourcesURL: URL { root.appending(path: Self.resourcesFolderName) }
  /// Private working data (runs, locks); git-ignored.
  public var stateURL: URL { root.appending(path: ".infra") }
  /// Where each run keeps its events, plan and output (`.infra/runs/`).
  public var runsURL: URL { stateURL.appending(path: "runs") }

  /// Creates `.infra/` when missing, private to the user (0700, as an older infra's is made),
  /// with a `.gitignore` so its contents stay out of git.
  public func prepareStateFolder() throws {
    try PrivateFiles.makeFolder(stateURL)
    let ignore = stateURL.appending(path: ".gitignore")
    guard !FileManager.default.fileExists(atPath: ignore.path) else { return }
    try PrivateFiles.replace(
      ignore, with: Data("# infra's own working data: runs, locks.\n*\n".utf8))
  }

  /// The nearest folder at or above `directory` that holds `infra.yaml`, as git finds `.git`.
  public static func find(from directory: URL) -> Repository? {
    var current = directory.standardizedFileURL
    while true {
      if FileManager.default.fileExists(atPath: current.appending(path: configFileName).path) {
        return Repository(root: current)
      }
      let parent = current.deletingLastPathComponent()
      if parent.path == current.path { return nil }
      current = parent
    }
  }

  /// Whether `url`, with every symbolic link on its way followed, is in the repository: what
  /// infra reads as the repository's own must be reviewed with it.
  public func contains(_ url: URL) -> Bool {
    let rootPath = root.resolvingSymlinksInPath().path
    let path = url.resolvingSymlinksInPath().path
    return path == rootPath || path.hasPrefix(rootPath + "/")
  }

  /// The error for `url` when it is a symbolic link that leads out of the repository
  /// (`shown` as the user knows it, `hint` saying what to do instead); `nil` when it is not.
  package func linkOut(_ url: URL, shown: String, hint: String) -> Diagnostic? {
    guard isSymbolicLink(url) else { return nil }
    let target = url.resolvingSymlinksInPath()
    guard !contains(target) else { return nil }
    return .error(
      "\(shown) is a symbolic link that leads outside the repository (to \(target.path))",
      at: SourceLocation(file: shown), hint: hint)
  }

  /// `url`'s path relative to the root, or its absolute path when it lies outside.
  public func relativePath(of url: URL) -> String {
    let rootPath = root.path
    let path = url.standardizedFileURL.path
    if path == rootPath { return "." }
    if path.hasPrefix(rootPath + "/") { return String(path.dropFirst(rootPath.count + 1)) }
    return path
  }
}
