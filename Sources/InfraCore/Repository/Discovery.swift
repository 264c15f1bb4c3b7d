import Foundation

/// Finds the resource files of a repository and routes each to its prefix and connector folder.
///
/// Nothing is dropped silently: files outside any connector folder are warnings that name them,
/// and symbolic links that leave the repository are errors.
package struct Discovery {
  package let repository: Repository
  package let config: InfraConfig
  /// The repository root's path, which every file found directly below it shares.
  private let rootPath: String

  package init(repository: Repository, config: InfraConfig) {
    self.repository = repository
    self.config = config
    rootPath = repository.root.path
  }

  /// What discovery found: the files of every connector folder, in address order.
  package struct Result: Sendable {
    package var files: [ResourceFile] = []
    /// Folders below a connector's folder that hold nothing: a connector may read one as a
    /// resource (the files connector: a folder on hosts).
    package var emptyFolders: [Address] = []
    package var diagnostics = Diagnostics()
  }

  package func run() -> Result {
    var result = Result()
    let resources = repository.resourcesURL
    if leavesRepository(resources, display: "resources/", into: &result) { return result }
    guard isDirectory(resources) else {
      if !config.prefixes.isEmpty {
        result.diagnostics.warning(
          "there is no resources/ folder, so there is nothing to manage",
          at: SourceLocation(file: config.path),
          hint: "create resources/<prefix>/<connector>/ and put resource files in it")
      }
      return result
    }
    let prefixes = Dictionary(
      config.prefixes.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
    for (entry, _) in entries(of: resources, display: "resources", into: &result) {
      let url = resources.appending(path: entry)
      if leavesRepository(url, display: "resources/\(entry)", into: &result) { continue }
      guard let prefix = prefixes[entry], isDirectory(url) else {
        let known = config.prefixes.map(\.name).joined(separator: ", ")
        warnUnclaimed(
          url, into: &result,
          why: isDirectory(url)
            ? "resources/\(entry)/ is not a prefix in \(config.path)"
            : "resources/\(entry) is not inside a prefix folder",
          hint: known.isEmpty
            ? "declare the prefix under `prefixes:` in \(config.path)"
            : "prefixes are: \(known); declare a new one under `prefixes:` in \(config.path)")
        continue
      }
      discover(prefix: prefix, at: url, into: &result)
    }
    result.files.sort()
    result.emptyFolders.sort()
    return result
  }

  private func discover(prefix: PrefixConfig, at folder: URL, into result: inout Result) {
    let connectors = Set(prefix.connectors.map(\.name.value))
    let display = "resources/\(prefix.name)"
    for (entry, _) in entries(of: folder, display: display, into: &result) {
      let url = folder.appending(path: entry)
      if leavesRepository(url, display: "\(display)/\(entry)", into: &result) { continue }
      guard connectors.contains(entry), isDirectory(url) else {
        let names = prefix.connectors.map(\.name.value).joined(separator: ", ")
        warnUnclaimed(
          url, into: &result,
          why:
            "\(repository.relativePath(of: url)) is not claimed by any connector of prefix '\(prefix.name)'",
          hint: names.isEmpty
            ? "prefix '\(prefix.name)' has no connectors"
            : "connector folders of prefix '\(prefix.name)': \(names)")
        continue
      }
      var visited: Set<String> = [url.resolvingSymlinksInPath().path]
      walk(
        url, segments: [entry], prefix: prefix.name, visited: &visited, into: &result)
    }
  }

  /// Collects the files below a connector folder, following links that stay inside the repository.
  private func walk(
    _ folder: URL, segments: [String], prefix: String, visited: inout Set<String>,
    into result: inout Result
  ) {
    let folderDisplay = "resources/\(prefix)/" + segments.joined(separator: "/")
    let names = entries(of: folder, display: folderDisplay, into: &result)
    if names.isEmpty, segments.count > 1 {
      result.emptyFolders.append(Address(prefix: prefix, segments: segments))
    }
    // The folder's listing tells regular files apart (on most file systems); anything else
    // is looked at with lstat: a repository of 10,000 files is walked in milliseconds.
    let folderPath = folder.path
    for (entry, regular) in names {
      let path = folderPath.hasSuffix("/") ? folderPath + entry : folderPath + "/" + entry
      let childSegments = segments + [entry]
      // Made when a message needs it: most entries are plain files that need none.
      var display: String { "\(folderDisplay)/\(entry)" }
      if path.utf8.count >= Int(PATH_MAX) {
        result.diagnostics.error(
          "this path cannot be managed: it is \(path.utf8.count.grouped) bytes on this machine, and the system's paths end at \((Int(PATH_MAX) - 1).grouped) (PATH_MAX)",
          at: SourceLocation(file: display), hint: "shorten the names of its folders")
        continue
      }
      var info = stat()
      let type = regular ? S_IFREG : lstat(path, &info) == 0 ? info.st_mode & S_IFMT : nil
      if type == S_IFREG {
        result.files.append(
          ResourceFile(
            address: Address(prefix: prefix, segments: childSegments), filePath: path,
            root: rootPath))
        continue
      }
      let url = URL(fileURLWithPath: path, isDirectory: type == S_IFDIR)
      var target = url
      if type == S_IFLNK {
        target = url.resolvingSymlinksInPath()
        if leavesRepository(url, display: display, into: &result) { continue }
        guard FileManager.default.fileExists(atPath: target.path) else {
          result.diagnostics.error(
            "\(display) is a symbolic link to \(repository.relativePath(of: target)), which does not exist",
            at: SourceLocation(file: display), hint: "fix or remove the link")
          continue
        }
      }
      if isDirectory(target) {
        let real = target.resolvingSymlinksInPath().path
        guard visited.insert(real).inserted else {
          result.diagnostics.error(
            "\(display) links back to a folder above it", at: SourceLocation(file: display),
            hint: "remove the link; it would make the folder contain itself")
          continue
        }
        walk(target, segments: childSegments, prefix: prefix, visited: &visited, into: &result)
        visited.remove(real)
      } else if isRegularFile(target) {
        result.files.append(
          ResourceFile(address: Address(prefix: prefix, segments: childSegments), url: target))
      } else if fileType(target, followingLinks: true) == nil {
        result.diagnostics.error(
          "cannot read \(display): \(String(cString: strerror(errno)))",
          at: SourceLocation(file: display), hint: "check its permissions, or remove it")
      } else {
        result.diagnostics.warning(
          "\(display) is neither a file nor a folder, so it is not managed",
          at: SourceLocation(file: display), hint: "remove it from resources/")
      }
    }
  }

  private func warnUnclaimed(_ url: URL, into result: inout Result, why: String, hint: String) {
    let display = repository.relativePath(of: url)
    var message = why
    if isDirectory(url) {
      let count = countFiles(in: url)
      message += count == 1 ? "; its 1 file is not managed" : "; its \(count) files are not managed"
    } else {
      message += ", so it is not managed"
    }
    result.diagnostics.warning(message, at: SourceLocation(file: display), hint: hint)
  }

  private func countFiles(in folder: URL) -> Int {
    var ignored = Result()
    return entries(of: folder, display: "", into: &ignored).reduce(0) { count, entry in
      let url = folder.appending(path: entry.name)
      if isSymbolicLink(url) { return count + 1 }
      return count + (isDirectory(url) ? countFiles(in: url) : 1)
    }
  }

  /// Whether `url` is a symbolic link that leads out of the repository, which is an error at
  /// every level of resources/ (a resource must be reviewed with the repository).
  private func leavesRepository(_ url: URL, display: String, into result: inout Result) -> Bool {
    guard
      let error = repository.linkOut(
        url, shown: display,
        hint: "copy the files into the repository instead: a resource must be reviewed with it")
    else { return false }
    result.diagnostics.append(error)
    return true
  }

  /// The names in `folder`, in byte order, each with whether the folder says it is a regular
  /// file; a name that is not UTF-8 is an error (`display` is the folder as the user knows
  /// it), since no address or plan could name it truly.
  private func entries(of folder: URL, display: String, into result: inout Result)
    -> [(name: String, regular: Bool)]
  {
    let listing = DirectoryListing(folder)
    if let failure = listing.failure, !display.isEmpty {
      result.diagnostics.error(
        "cannot read the folder \(display)/: \(failure)", at: SourceLocation(file: display),
        hint: "check its permissions: nothing in it can be managed until infra can read it")
    }
    for bytes in listing.undecodable {
      let shown = DirectoryListing.escaped(bytes)
      result.diagnostics.error(
        "\(display)/\(shown) cannot be managed: its name is not UTF-8 text",
        at: SourceLocation(file: "\(display)/\(shown)"),
        hint: "rename it (each byte that is not UTF-8 is shown here as \\xNN)")
    }
    let names = listing.names
    return names.indices.sorted { bytesPrecede(names[$0], names[$1]) }.map {
      (names[$0], listing.regular[$0])
    }
  }
}

func fileType(_ url: URL, followingLinks: Bool) -> mode_t? {
  var info = stat()
  let status = followingLinks ? stat(url.path, &info) : lstat(url.path, &info)
  return status == 0 ? info.st_mode & S_IFMT : nil
}

func isDirectory(_ url: URL) -> Bool { fileType(url, followingLinks: true) == S_IFDIR }
func isRegularFile(_ url: URL) -> Bool { fileType(url, followingLinks: true) == S_IFREG }
func isSymbolicLink(_ url: URL) -> Bool { fileType(url, followingLinks: false) == S_IFLNK }
