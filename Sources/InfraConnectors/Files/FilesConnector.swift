import Foundation
import InfraCore
import InfraEngine
import InfraTransport

/// The builtin `files` connector: whole files on hosts, with exact content, mode, owner and group.
package struct FilesConnectorType: ConnectorType {
  package init() {}

  package var info: ConnectorTypeInfo {
    ConnectorTypeInfo(
      type: "files",
      summary:
        "Whole files on hosts: exact content, mode, owner and group; files declared absent are removed.",
      layout:
        "<host or @group>/<path on the host>, `.age` for encrypted content, `.mustache` for a template rendered per host; .infra-attrs.yaml in any folder sets mode, owner, group, sensitive, template and state",
      options: [
        OptionSpec(
          "root", .string, default: .string("/"),
          "folder on every host that resource paths are relative to (an absolute path)"),
        OptionSpec(
          "batch_size", .integer, default: .int(0),
          "most files written per command; 0 sends all of a host's files in one"),
        OptionSpec(
          "writer", .string, default: .string("auto"),
          "'auto' (perl on the host when it has it, else the shell) or 'shell'"),
      ])
  }

  package func make(_ context: ConnectorContext) throws -> any Connector {
    let rootOption = context.options["root"]
    var root = rootOption?.value.stringValue ?? "/"
    guard root.hasPrefix("/"),
      !root.split(separator: "/").contains(where: { $0 == ".." || $0 == "." })
    else {
      throw Diagnostic.error(
        "option 'root' of connector '\(context.name)' must be an absolute path without '.' or '..', not '\(root)'",
        at: rootOption?.location ?? context.config.location, hint: "e.g. `root: /srv/app`")
    }
    while root.count > 1, root.hasSuffix("/") { root.removeLast() }
    let batchOption = context.options["batch_size"]
    let batchSize = batchOption?.value.intValue ?? 0
    guard batchSize >= 0 else {
      throw Diagnostic.error(
        "option 'batch_size' of connector '\(context.name)' must be 0 (no limit) or more",
        at: batchOption?.location ?? context.config.location)
    }
    let writerOption = context.options["writer"]
    guard let writer = FileInstaller.Writer(rawValue: writerOption?.value.stringValue ?? "auto")
    else {
      throw Diagnostic.error(
        "option 'writer' of connector '\(context.name)' must be 'auto' or 'shell'",
        at: writerOption?.location ?? context.config.location)
    }
    return FilesConnector(
      settings: FilesConnector.Settings(
        prefix: context.prefix, name: context.name, root: root, hosts: context.hosts,
        inventory: context.inventory, repository: context.repository, cipher: context.cipher,
        batchSize: batchSize, writer: writer))
  }
}

struct FilesConnector: Connector {
  struct Settings: Sendable {
    var prefix: String
    var name: String
    var root: String
    var hosts: [InventoryHost]
    var inventory: Inventory
    var repository: Repository
    /// Decrypts `.age` content files.
    var cipher: AgeCipher
    /// The most ops sent to a host in one command; 0 for no limit.
    var batchSize = 0
    var writer = FileInstaller.Writer.auto
    /// Contents read while loading, for planning.
    var cache = ContentCache()
    /// Temporary files killed writers left, for planning.
    var strays = StrayFiles()
    /// Templates rendered for each host as it was read.
    var rendered = RenderedTemplates()
    /// Files in the way of folders, and missing owners and groups, found by each host's read.
    var findings = HostFindings()
    /// The paths the repository declares for each host.
    var declared = DeclaredFiles()

    /// `relative` (below a host or group folder) as an absolute path on the host.
    func hostPath(_ relative: String) -> String {
      root == "/" ? "/" + relative : root + "/" + relative
    }
  }

  /// Text files larger than this are summarised instead of diffed.
  static let diffLimit = 1 << 20

  let settings: Settings

  func load(_ request: LoadRequest) async -> LoadResponse {
    let decrypted = await settings.cipher.decrypt(request.files)
    let response = FilesLoader(settings: settings, decrypted: decrypted).load(request)
    for resource in response.resources {
      if let path = resource.desired["path"]?.stringValue {
        settings.declared.add(
          path, on: resource.host, byHostFile: resource.address.segments[1] == resource.host)
      }
    }
    return response
  }

  func read(_ request: ReadRequest) async throws -> ReadResponse {
    // Of each desired file, only what the read needs: its path, the names of its owner and
    // group, and the templates whole. A host's read is when a plan holds the most.
    var paths: [String] = []
    paths.reserveCapacity(request.resources.count)
    var (users, groups) = (Set<String>(), Set<String>())
    var templates: [DesiredFile] = []
    let named = { (name: String?) in name.flatMap { $0.allSatisfy(\.isNumber) ? nil : $0 } }
    for resource in request.resources {
      let file = try DesiredFile(json: resource.desired)
      paths.append(file.path)
      guard file.state == .present else { continue }
      if let owner = named(file.owner) { users.insert(owner) }
      if let group = named(file.group) { groups.insert(group) }
      if file.template == true { templates.append(file) }
    }
    // A host's paths are one per resource, which the loader sees to; were one asked twice,
    // its state would be kept for the second.
    let distinct = Set(paths).count == paths.count
    var reading = try await LiveFileReader.read(
      paths, users: users, groups: groups, through: request.transport)
    // Taken out, and emptied as each file's state is made: a file's parsed fields (its path,
    // its digest in hex) are freed as its state line is made, not held beside all of them.
    var live = reading.files
    reading.files = [:]
    settings.strays.add(reading.strays, on: request.host.name)
    settings.findings.set(
      HostFindings.Findings(
        blockedByFile: reading.blockedByFile, missingUsers: reading.missingUsers,
        missingGroups: reading.missingGroups), on: request.host.name)
    // Rendered once the read is back: the host's facts came with it. What a template renders
    // to is part of what a saved plan was made against.
    let rendered = await settings.renderTemplates(
      templates, host: request.host, facts: request.facts)
    var states: [Address: LiveState] = [:]
    states.reserveCapacity(request.resources.count)
    for (resource, path) in zip(request.resources, paths) {
      let suffix = rendered[path].map { "|" + $0 } ?? ""
      if let found = distinct ? live.removeValue(forKey: path) : live[path] {
        // One string for both, unless a template's rendering is part of the fingerprint.
        let line = found.line
        states[resource.address] = LiveState(
          state: .string(line), fingerprint: suffix.isEmpty ? line : line + suffix)
      } else {
        states[resource.address] = LiveState(state: .null, fingerprint: "absent" + suffix)
      }
    }
    return ReadResponse(states: states)
  }

  func plan(_ request: PlanRequest) async throws -> PlanResponse {
    try await FilesPlanner(settings: settings, host: request.host, transport: request.transport)
      .plan(request.items)
  }

  func apply(_ request: ApplyRequest) async -> ApplyResponse {
    await FilesApplier(settings: settings, host: request.host, transport: request.transport)
      .apply(request)
  }

  func list(_ request: ListRequest) async throws -> ListResponse {
    try await FilesImporter(settings: settings, host: request.host, transport: request.transport)
      .list(request.paths)
  }

  func pull(_ request: PullRequest) async throws -> PullResponse {
    try await FilesPuller(settings: settings, host: request.host, transport: request.transport)
      .pull(request.items)
  }
}
