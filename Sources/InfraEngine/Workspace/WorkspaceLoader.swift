import Foundation
import InfraCore

/// Loads a repository into a `Workspace`: parses `infra.yaml`, makes each connector, discovers
/// resource files and has each connector decode its own. Every problem found along the way is
/// reported together; nothing stops at the first.
public struct WorkspaceLoader: Sendable {
  public var registry: ConnectorRegistry

  public init(registry: ConnectorRegistry) {
    self.registry = registry
  }

  /// What loading found. `workspace` is `nil` when any error was found.
  public struct Outcome: Sendable {
    public var workspace: Workspace?
    /// Errors and warnings, sorted by file and position.
    public var diagnostics: Diagnostics
    /// The config as far as it could be read, for commands that show it (`infra hosts`).
    public var config: InfraConfig?
  }

  /// Loads `repository`; with `changes`, the resource files git shows deleted since their base
  /// are handed to their connectors, which return those resources to be deleted.
  public func load(_ repository: Repository, changes: (set: ChangeSet, git: Git)? = nil) async
    -> Outcome
  {
    let (parsed, configDiagnostics) = await loadConfig(repository)
    var diagnostics = configDiagnostics
    guard let config = parsed else {
      return Outcome(workspace: nil, diagnostics: Diagnostics(diagnostics.sorted), config: nil)
    }
    let inventory = Inventory(config: config)

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
          diagnostics: &diagnostics)
        {
          checkHostData(instance, config: config, diagnostics: &diagnostics)
          instances.append(instance)
        }
      }
    }

    let discovery = Discovery(repository: repository, config: config).run()
    diagnostics.append(contentsOf: discovery.diagnostics)
    var filesByConnector: [String: [ResourceFile]] = [:]
    for file in discovery.files {
      filesByConnector["\(file.address.prefix)/\(file.address.connector)", default: []].append(file)
    }

    var removedByConnector: [String: [ResourceFile]] = [:]
    let base = await baseFiles(changes, repository: repository, diagnostics: &diagnostics)
    defer { base.map { try? FileManager.default.removeItem(at: $0.folder) } }
    for file in base?.files ?? [] {
      removedByConnector["\(file.address.prefix)/\(file.address.connector)", default: []].append(
        file)
    }

    instances = await withTaskGroup(of: (Int, ConnectorInstance, LoadResponse).self) { group in
      for (index, var instance) in instances.enumerated() {
        instance.files = filesByConnector[instance.id] ?? []
        let request = LoadRequest(
          files: instance.files, removed: removedByConnector[instance.id] ?? [])
        group.addTask { (index, instance, await instance.connector.load(request)) }
      }
      var loaded: [(Int, ConnectorInstance)] = []
      for await (index, var instance, response) in group {
        instance.resources = response.resources.sorted {
          ($0.address, $0.host) < ($1.address, $1.host)
        }
        let unclaimed = Set(response.unclaimed.map(\.file))
        instance.files.removeAll { unclaimed.contains($0) }
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
        try FileManager.default.createDirectory(
          at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try content.write(to: url)
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

  /// Reads `infra.yaml` and adds the hosts its inventory programs yield. With `names`, for a
  /// command about those hosts alone: the programs are asked for them only (and not run at
  /// all when infra.yaml names them all), and references to other hosts are left unchecked.
  public func loadConfig(_ repository: Repository, names: [String]? = nil) async -> (
    InfraConfig?, Diagnostics
  ) {
    let (parsed, loaded) = ConfigLoader.load(from: repository.configURL)
    guard var config = parsed, !config.inventory.isEmpty else { return (parsed, loaded) }
    var diagnostics = loaded
    let missing = names.map { names in
      let known = Set(config.hosts.map(\.name))
      return names.filter { !known.contains($0) }
    }
    if missing?.isEmpty == true { return (config, diagnostics) }
    var hosts: [HostConfig] = []
    for program in config.inventory {
      let name = "inventory program '\(program.arguments.joined(separator: " "))'"
      guard let launcher = registry.external else {
        diagnostics.error(
          "this build of infra cannot run inventory programs", at: program.location)
        continue
      }
      do {
        let text = try await launcher.inventory(program, repository: repository, names: missing)
        let (yielded, problems) = ConfigLoader.readHosts(
          text: text, path: name, transports: Set(config.transports.keys))
        hosts += yielded
        diagnostics.append(contentsOf: problems)
      } catch {
        diagnostics.error(
          "the \(name) failed: \(error)", at: program.location,
          hint: "run the program by hand to see what it says")
      }
    }
    // Without all its hosts, the config's references to them would only be reported wrongly.
    guard !diagnostics.hasErrors else {
      config.hosts += hosts
      return (config, diagnostics)
    }
    let (merged, problems) = ConfigLoader.adding(
      hosts: hosts, to: config, checkingReferences: names == nil)
    config = merged
    diagnostics.append(contentsOf: problems)
    return (config, diagnostics)
  }

  private func selectsKnownHosts(_ entry: ConnectorConfig, _ inventory: Inventory) -> Bool {
    let groups = Set(inventory.groupNames)
    return (entry.hosts ?? []).allSatisfy { selector in
      switch selector.value {
      case .host(let name): inventory.host(named: name) != nil
      case .group(let name): groups.contains(name)
      }
    }
  }

  private func make(
    _ entry: ConnectorConfig, prefix: String, inventory: Inventory, repository: Repository,
    diagnostics: inout Diagnostics
  ) async -> ConnectorInstance? {
    if let program = entry.program {
      return await launch(
        entry, program: program, prefix: prefix, inventory: inventory, repository: repository,
        diagnostics: &diagnostics)
    }
    guard let type = registry[entry.type.value] else {
      let known = registry.typeNames
      var hint = "connector types in this build: \(known.joined(separator: ", "))"
      if let match = closestMatch(to: entry.type.value, in: known) {
        hint = "did you mean '\(match)'? " + hint
      }
      if entry.type.value == entry.name.value {
        hint += "; name another type with `type:`"
      }
      diagnostics.error(
        "there is no connector type '\(entry.type.value)'", at: entry.type.location, hint: hint)
      return nil
    }
    let info = type.info
    guard let options = checkOptions(entry, info: info, diagnostics: &diagnostics) else {
      return nil
    }
    let hosts = inventory.resolve(entry.hosts?.map(\.value))
    if hosts.isEmpty {
      diagnostics.warning(
        "connector '\(entry.name.value)' of prefix '\(prefix)' serves no host", at: entry.location,
        hint: "list hosts or @groups under its `hosts:`, or leave `hosts:` out to serve every host")
    }
    let context = ConnectorContext(
      prefix: prefix, config: entry, options: options, hosts: hosts, inventory: inventory,
      repository: repository)
    do {
      let connector = try type.make(context)
      return ConnectorInstance(
        prefix: prefix, config: entry, info: info, options: options, hosts: hosts,
        connector: connector, files: [], resources: [])
    } catch let diagnostic as Diagnostic {
      diagnostics.append(diagnostic)
    } catch {
      diagnostics.error(
        "connector '\(entry.name.value)' cannot start: \(error)", at: entry.location)
    }
    return nil
  }

  /// Starts an external connector's program; its declared options are then checked like a
  /// builtin type's.
  private func launch(
    _ entry: ConnectorConfig, program: ExternalProgram, prefix: String, inventory: Inventory,
    repository: Repository, diagnostics: inout Diagnostics
  ) async -> ConnectorInstance? {
    guard let launcher = registry.external else {
      diagnostics.error(
        "this build of infra cannot run external connectors", at: program.location,
        hint: "use a builtin connector type")
      return nil
    }
    let hosts = inventory.resolve(entry.hosts?.map(\.value))
    let context = ConnectorContext(
      prefix: prefix, config: entry, options: entry.options, hosts: hosts, inventory: inventory,
      repository: repository)
    do {
      let (info, connector) = try await launcher.launch(context, program: program)
      guard let options = checkOptions(entry, info: info, diagnostics: &diagnostics) else {
        await connector.close()
        return nil
      }
      return ConnectorInstance(
        prefix: prefix, config: entry, info: info, options: options, hosts: hosts,
        connector: connector, files: [], resources: [])
    } catch {
      diagnostics.error(
        "connector '\(entry.name.value)' cannot start: \(error)", at: program.location,
        hint: "run the program by hand to see what it says; `infra -v` logs every message")
      return nil
    }
  }

  /// Checks the `data:` of the hosts a connector serves against the host data it declares it
  /// reads: a value of the wrong type is an error at the host.
  private func checkHostData(
    _ instance: ConnectorInstance, config: InfraConfig, diagnostics: inout Diagnostics
  ) {
    for spec in instance.info.hostData {
      for host in instance.hosts {
        guard let value = host.data[spec.name], !spec.type.accepts(value) else { continue }
        diagnostics.error(
          "data '\(spec.name)' of host '\(host.name)' must be \(spec.type.described), not \(value.typeName)",
          at: config.hosts.first { $0.name == host.name }?.location,
          hint: "connector '\(instance.id)' reads it: \(spec.summary)")
      }
    }
  }

  /// Checks options against the type's declarations and fills in defaults.
  private func checkOptions(
    _ entry: ConnectorConfig, info: ConnectorTypeInfo, diagnostics: inout Diagnostics
  ) -> [String: Located<JSONValue>]? {
    var valid = true
    var options: [String: Located<JSONValue>] = [:]
    let declared = Dictionary(info.options.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
    for (name, value) in entry.options.sorted(by: { $0.key < $1.key }) {
      guard let spec = declared[name] else {
        valid = false
        let names = info.options.map { "'\($0.name)'" }.joined(separator: ", ")
        var hint =
          names.isEmpty
          ? "connector type '\(info.type)' takes no options"
          : "connector type '\(info.type)' takes \(names)"
        if let match = closestMatch(to: name, in: info.options.map(\.name)) {
          hint = "did you mean '\(match)'? " + hint
        }
        diagnostics.error(
          "unknown option '\(name)' for connector '\(entry.name.value)'", at: value.location,
          hint: hint)
        continue
      }
      guard spec.type.accepts(value.value) else {
        valid = false
        diagnostics.error(
          "option '\(name)' of connector '\(entry.name.value)' must be \(spec.type.described), not \(value.value.typeName)",
          at: value.location, hint: spec.summary)
        continue
      }
      options[name] = value
    }
    for spec in info.options where options[spec.name] == nil {
      if let value = spec.defaultValue {
        options[spec.name] = Located(value, at: entry.location)
      }
    }
    return valid ? options : nil
  }
}
