import Foundation
import Yams

/// Loads and checks `infra.yaml`, reporting every problem with its `file:line:column`.
package enum ConfigLoader {
  static let topLevelKeys = ConfigSchema.topLevelKeys
  static let hostKeys = ConfigSchema.hostKeys
  static let prefixKeys = ConfigSchema.prefix.mapping!.keyNames
  static let connectorKeys = ConfigSchema.connector.mapping!.keyNames
  static let programKeys = ConfigSchema.programKeys.map(\.name)

  /// Reads `infra.yaml` at `url`. The model is `nil` only when the file cannot be read or parsed.
  package static func load(from url: URL, path: String = "infra.yaml") -> (
    InfraConfig?, Diagnostics
  ) {
    switch YAMLFile.load(from: url, path: path) {
    case .success(let file): return load(file)
    case .failure(let diagnostic): return (nil, Diagnostics([diagnostic]))
    }
  }

  /// Reads infra.yaml from its bytes, as `load(from:)` does once it has read them.
  package static func decode(_ data: Data, path: String = "infra.yaml") -> (
    InfraConfig?, Diagnostics
  ) {
    switch YAMLFile.decode(data, path: path) {
    case .success(let file): return load(file)
    case .failure(let diagnostic): return (nil, Diagnostics([diagnostic]))
    }
  }

  /// Parses config text; used by tests.
  package static func parse(_ text: String, path: String = "infra.yaml") -> (
    InfraConfig?, Diagnostics
  ) {
    switch YAMLFile.parse(text, path: path) {
    case .success(let file): return load(file)
    case .failure(let diagnostic): return (nil, Diagnostics([diagnostic]))
    }
  }

  static func load(_ file: YAMLFile) -> (InfraConfig?, Diagnostics) {
    var reader = YAMLReader(file: file)
    guard let root = file.root else {
      reader.diagnostics.error(
        "infra.yaml is empty", at: SourceLocation(file: file.path, line: 1, column: 1),
        hint:
          "start it with `version: \(InfraConfig.supportedVersion)`, then `hosts:` and `prefixes:`")
      return (nil, reader.diagnostics)
    }
    guard let top = reader.mapping(root, for: "the top level of infra.yaml", keys: topLevelKeys)
    else {
      return (nil, reader.diagnostics)
    }
    top.reportUnknownKeys(into: &reader)

    let version = readVersion(top, root: root, reader: &reader)
    let inventory = top["inventory"].map { readInventory($0, reader: &reader) } ?? []
    var transports: [String: ExternalProgram] = [:]
    if let node = top["transports"],
      let map = reader.mapping(node, for: "'transports' (names mapped to programs)", keys: [])
    {
      for entry in map.entries {
        guard checkName(entry.name, kind: "transport", at: entry.key, reader: &reader),
          let program = reader.mapping(
            entry.value, for: "transport '\(entry.name)'",
            keys: programKeys)
        else { continue }
        program.reportUnknownKeys(into: &reader)
        if entry.name == "ssh" || entry.name == "local" {
          reader.error(
            "'\(entry.name)' is a builtin transport", at: entry.key, hint: "name yours otherwise")
        } else if program["run"] == nil {
          reader.error(
            "transport '\(entry.name)' has no 'run'", at: entry.value,
            hint: "e.g. `run: [python3, connectors/\(entry.name)_transport.py]`")
        } else if let parsed = readProgram(
          program, owner: "transport '\(entry.name)'", name: entry.name, reader: &reader)
        {
          transports[entry.name] = parsed
        }
      }
    }
    let defaults = top["defaults"].map { readDefaults($0, reader: &reader) }
    let groups = top["groups"].map { readGroups($0, reader: &reader) } ?? [:]
    let hosts =
      top["hosts"].map { readHosts($0, transports: Set(transports.keys), reader: &reader) } ?? []
    var prefixes: [PrefixConfig] = []
    if let node = top["prefixes"] {
      prefixes = readPrefixes(node, reader: &reader)
    } else {
      reader.error(
        "infra.yaml has no 'prefixes'", at: root,
        hint: "add `prefixes:` with at least one prefix and its `connectors:`")
    }

    var keepRuns = InfraConfig.defaultKeepRuns
    if let node = top["runs"],
      let runs = reader.mapping(node, for: "'runs'", keys: ConfigSchema.keys(of: "runs"))
    {
      runs.reportUnknownKeys(into: &reader)
      if let keepNode = runs["keep"], let keep = reader.int(keepNode, for: "'keep'") {
        if keep >= 1 {
          keepRuns = keep
        } else {
          reader.error("'keep' must be at least 1", at: keepNode, hint: "the run itself is kept")
        }
      }
    }
    var lockFolder = InfraConfig.defaultLockFolder
    var lockLease = InfraConfig.defaultLockLease
    if let node = top["locks"],
      let locks = reader.mapping(node, for: "'locks'", keys: ConfigSchema.keys(of: "locks"))
    {
      locks.reportUnknownKeys(into: &reader)
      if let folderNode = locks["folder"], let folder = reader.string(folderNode, for: "'folder'") {
        if folder.hasPrefix("/") && !folder.contains("\n") {
          lockFolder = folder
        } else {
          reader.error(
            "'folder' must be an absolute path, not '\(folder)'", at: folderNode,
            hint: "the folder on every host that holds its apply lock, e.g. /var/lock/infra")
        }
      }
      if let leaseNode = locks["lease"], let lease = reader.int(leaseNode, for: "'lease'") {
        if lease >= 1 {
          lockLease = lease
        } else {
          reader.error(
            "'lease' must be at least 1 second, not \(lease)", at: leaseNode,
            hint: "how long a lock lasts unless its run renews it; the default is 60")
        }
      }
    }
    var config = InfraConfig(
      path: file.path, version: version, hosts: hosts, prefixes: prefixes, keepRuns: keepRuns,
      lockFolder: lockFolder)
    config.lockLease = lockLease
    if let node = top["secrets"] { config.secrets = readSecrets(node, reader: &reader) }
    config.inventory = inventory
    config.transports = transports
    if let defaults { config.defaults = defaults }
    config.groups = groups
    config.hosts = config.hosts.map { layered($0, under: config) }
    // With inventory programs, hosts are known only once they have run (`adding(hosts:)`).
    if inventory.isEmpty {
      checkReferences(&config, diagnostics: &reader.diagnostics)
      checkGroups(config, diagnostics: &reader.diagnostics)
    }
    return (config, reader.diagnostics)
  }

  /// `inventory:`: a list of programs (`run:`, `env:`, `timeout:`) that yield hosts.
  static func readInventory(_ node: Node, reader: inout YAMLReader) -> [ExternalProgram] {
    guard case .sequence(let items) = node else {
      reader.error(
        "expected a list for 'inventory', found \(YAMLReader.kind(of: node).rawValue)", at: node,
        hint: "write each program as a list item: `- run: [python3, connectors/hosts.py]`")
      return []
    }
    var programs: [ExternalProgram] = []
    for item in items {
      guard
        let entry = reader.mapping(
          item, for: "an inventory program", keys: programKeys)
      else { continue }
      entry.reportUnknownKeys(into: &reader)
      guard entry["run"] != nil else {
        reader.error(
          "an inventory program has no 'run'", at: item,
          hint: "e.g. `- run: [python3, connectors/hosts.py]`")
        continue
      }
      if let program = readProgram(
        entry, owner: "an inventory program", name: "hosts", reader: &reader)
      {
        programs.append(program)
      }
    }
    return programs
  }

  static func readVersion(_ top: MappingReader, root: Node, reader: inout YAMLReader)
    -> Int
  {
    let supported = InfraConfig.supportedVersion
    guard let node = top["version"] else {
      reader.error(
        "infra.yaml has no 'version'", at: root,
        hint: "add `version: \(supported)` as the first line")
      return supported
    }
    guard let version = reader.int(node, for: "'version'") else { return supported }
    if version > supported {
      reader.error(
        "infra.yaml is version \(version), but this build of infra reads version \(supported) at most",
        at: node, hint: "upgrade infra, or write the file for version \(supported)")
    } else if version < 1 {
      reader.error(
        "there is no infra.yaml version \(version)", at: node,
        hint: "the current version is \(supported)")
    }
    return version
  }
}
