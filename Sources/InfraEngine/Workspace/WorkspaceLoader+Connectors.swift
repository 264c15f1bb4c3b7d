import Foundation
import InfraCore

extension WorkspaceLoader {
  func selectsKnownHosts(_ entry: ConnectorConfig, _ inventory: Inventory) -> Bool {
    let groups = Set(inventory.groupNames)
    return (entry.hosts ?? []).allSatisfy { selector in
      switch selector.value {
      case .host(let name): inventory.host(named: name) != nil
      case .group(let name): groups.contains(name)
      }
    }
  }

  func make(
    _ entry: ConnectorConfig, prefix: String, inventory: Inventory, repository: Repository,
    secrets: SecretsSettings, diagnostics: inout Diagnostics
  ) async -> ConnectorInstance? {
    if let program = entry.program {
      return await launch(
        entry, program: program, prefix: prefix, inventory: inventory, repository: repository,
        secrets: secrets, diagnostics: &diagnostics)
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
      repository: repository, secrets: secrets)
    do {
      let connector = try type.make(context)
      return ConnectorInstance(
        id: ConnectorID(prefix: prefix, name: entry.name.value), config: entry, info: info,
        options: options, hosts: hosts, connector: connector, fileCount: 0, resources: [])
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
    repository: Repository, secrets: SecretsSettings, diagnostics: inout Diagnostics
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
      repository: repository, secrets: secrets)
    do {
      let (info, connector) = try await launcher.launch(context, program: program)
      guard let options = checkOptions(entry, info: info, diagnostics: &diagnostics) else {
        await connector.close()
        return nil
      }
      return ConnectorInstance(
        id: ConnectorID(prefix: prefix, name: entry.name.value), config: entry, info: info,
        options: options, hosts: hosts, connector: connector, fileCount: 0, resources: [])
    } catch {
      diagnostics.error(
        "connector '\(entry.name.value)' cannot start: \(error)", at: program.location,
        hint: "run the program by hand to see what it says; `infra -v` logs every message")
      return nil
    }
  }

  /// Checks the `data:` of the hosts a connector serves against the host data it declares it
  /// reads: a value of the wrong type is an error at the host.
  func checkHostData(
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
