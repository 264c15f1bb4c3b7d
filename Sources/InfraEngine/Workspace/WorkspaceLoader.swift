import Foundation
import InfraCore

/// Loads a repository into a `Workspace`: parses `infra.yaml`, makes each connector, discovers
/// resource files and has each connector decode its own. Every problem found along the way is
/// reported together; nothing stops at the first.
package struct WorkspaceLoader: Sendable {
  package var registry: ConnectorRegistry
  /// Told the inventory as soon as `infra.yaml` is read, before resource files are: what a run
  /// starts early (connecting to hosts) while the rest loads.
  package var onInventory: (@Sendable (Inventory) -> Void)?

  package init(registry: ConnectorRegistry, onInventory: (@Sendable (Inventory) -> Void)? = nil) {
    self.registry = registry
    self.onInventory = onInventory
  }

  /// What loading found.
  package typealias Outcome = LoadOutcome

  /// Loads `repository`; with `changes`, the resource files git shows deleted since their base
  /// are handed to their connectors, which return those resources to be deleted.
  package func load(_ repository: Repository, changes: (set: ChangeSet, git: Git)? = nil) async
    -> Outcome
  {
    await load(repository) { changes }
  }

  /// Loads `repository` as `load(_:changes:)` does, asking for the change set only once the
  /// resource files are found: git can run meanwhile, and `infra.yaml` is read (and the
  /// inventory told to `onInventory`, which connects to hosts) without waiting for it.
  package func load(
    _ repository: Repository, changes changeSet: @Sendable () async -> (set: ChangeSet, git: Git)?
  ) async -> Outcome {
    let (parsed, configDiagnostics) = await loadConfig(repository)
    var diagnostics = configDiagnostics
    guard let config = parsed else {
      return Outcome(workspace: nil, diagnostics: Diagnostics(diagnostics.sorted), config: nil)
    }
    let inventory = Inventory(config: config)
    onInventory?(inventory)

    var instances: [ConnectorInstance] = []
    for prefix in config.prefixes {
      var seen: Set<String> = []
      for entry in prefix.connectors {
        // Entries the config loader already rejected would only repeat its errors in other words.
        guard seen.insert(entry.name.value).inserted, selectsKnownHosts(entry, inventory) else {
          continue
        }
        if let instance = await make(
          entry, prefix: prefix.name, inventory: inventory, repository: repository,
          secrets: config.secrets, diagnostics: &diagnostics)
        {
          checkHostData(instance, config: config, diagnostics: &diagnostics)
          instances.append(instance)
        }
      }
    }

    var discovery = Discovery(repository: repository, config: config).run()
    diagnostics.append(contentsOf: discovery.diagnostics)
    let filesByConnector = Self.byConnector(taking: &discovery.files)
    let changes = await changeSet()
    let base = await baseFiles(changes, repository: repository, diagnostics: &diagnostics)
    defer { base.map { try? FileManager.default.removeItem(at: $0.folder) } }
    let removedByConnector = Dictionary(grouping: base?.files ?? [], by: \.address.connectorID)
    let emptyByConnector = Dictionary(grouping: discovery.emptyFolders, by: \.connectorID)

    instances = await withTaskGroup(of: (Int, ConnectorInstance, LoadResponse).self) { group in
      for (index, instance) in instances.enumerated() {
        let request = LoadRequest(
          files: filesByConnector[instance.id] ?? [],
          removed: removedByConnector[instance.id] ?? [],
          emptyFolders: emptyByConnector[instance.id] ?? [])
        group.addTask {
          var instance = instance
          let response = await instance.connector.load(request)
          // Counted, not kept: the resources are what the rest of a run needs.
          let unclaimed = Set(response.unclaimed.map(\.file))
          instance.fileCount = request.files.count(where: { !unclaimed.contains($0) })
          return (index, instance, response)
        }
      }
      var loaded: [(Int, ConnectorInstance)] = []
      for await (index, var instance, response) in group {
        // Connectors mostly answer in the order of their files, which is already this one:
        // checking costs a comparison per resource, sorting about fourteen for 10,000.
        let precedes = { (a: Resource, b: Resource) in (a.address, a.host) < (b.address, b.host) }
        let resources = response.resources
        let inOrder = resources.indices.dropFirst().allSatisfy {
          !precedes(resources[$0], resources[$0 - 1])
        }
        instance.resources = inOrder ? resources : resources.sorted(by: precedes)
        diagnostics.append(contentsOf: response.diagnostics)
        for (file, reason) in response.unclaimed {
          diagnostics.warning(
            "\(file.path) is not claimed by connector '\(instance.name)': \(reason), so it is not managed",
            at: file.location,
            hint: "move or delete it if it is not meant to be a resource")
        }
        loaded.append((index, instance))
      }
      return loaded.sorted { $0.0 < $1.0 }.map(\.1)
    }

    let sorted = Diagnostics(diagnostics.sorted)
    let workspace =
      sorted.hasErrors
      ? nil
      : Workspace(
        repository: repository, config: config, inventory: inventory, connectors: instances,
        diagnostics: sorted, changes: changes?.set)
    return Outcome(workspace: workspace, diagnostics: sorted, config: config)
  }

  /// The files of each connector, in order, taken out of `files`. Each connector's files are
  /// one run of them (addresses sort by prefix, then connector), copied into an array of their
  /// own size: the walk's array, grown by doubling, is not kept beside them while connectors
  /// load.
  package static func byConnector(taking files: inout [ResourceFile])
    -> [ConnectorID: [ResourceFile]]
  {
    let all = files
    files = []
    var grouped: [ConnectorID: [ResourceFile]] = [:]
    var start = 0
    while start < all.count {
      let id = all[start].address.connectorID
      var end = start + 1
      while end < all.count, all[end].address.connectorID == id { end += 1 }
      grouped[id, default: []].append(contentsOf: all[start..<end])
      start = end
    }
    return grouped
  }

  /// The deleted resource files of a change set, written out as they were at the base into a
  /// temporary folder (removed once loading is done), routed by prefix and connector folder.
  private func baseFiles(
    _ changes: (set: ChangeSet, git: Git)?, repository: Repository,
    diagnostics: inout Diagnostics
  ) async -> (folder: URL, files: [ResourceFile])? {
    guard let (set, git) = changes, let commit = set.baseCommit, !set.deleted.isEmpty else {
      return nil
    }
    var addresses: [(path: String, address: Address)] = []
    for path in set.deleted {
      let parts = path.split(separator: "/").map(String.init)
      guard parts.count >= 4, parts[0] == Repository.resourcesFolderName else { continue }
      addresses.append((path, Address(prefix: parts[1], segments: Array(parts[2...]))))
    }
    let folder = FileManager.default.temporaryDirectory.appending(
      path: "infra-base-\(UUID().uuidString)")
    do {
      let contents = try await git.contents(of: addresses.map(\.path), at: commit)
      var files: [ResourceFile] = []
      for ((path, address), content) in zip(addresses, contents) {
        let url = folder.appending(path: path)
        // Private: a deleted file may have held a secret.
        try PrivateFiles.makeFolder(url.deletingLastPathComponent())
        try PrivateFiles.replace(url, with: content)
        files.append(ResourceFile(address: address, url: url))
      }
      return (folder, files)
    } catch {
      try? FileManager.default.removeItem(at: folder)
      diagnostics.error(
        "cannot read the files deleted since \(set.baseDescription): \(error)",
        at: SourceLocation(file: Repository.resourcesFolderName),
        hint: (error as? GitError)?.hint ?? "check that git can read the repository")
      return nil
    }
  }
}

/// What loading a repository found: the workspace, or the errors that kept it from loading.
public struct LoadOutcome: Sendable {
  /// The loaded workspace; `nil` when loading found errors.
  public var workspace: Workspace?
  /// Errors and warnings, sorted by file and position.
  public var diagnostics: Diagnostics
  /// The config as far as it could be read, for commands that show it (`infra hosts`).
  package var config: InfraConfig?

  package init(workspace: Workspace?, diagnostics: Diagnostics, config: InfraConfig?) {
    self.workspace = workspace
    self.diagnostics = diagnostics
    self.config = config
  }
}
