import Foundation
import InfraCore

extension WorkspaceLoader {
  /// Reads `infra.yaml` and adds the hosts its inventory programs yield. With `names`, for a
  /// command about those hosts alone: the programs are asked for them only (and not run at
  /// all when infra.yaml names them all), and references to other hosts are left unchecked.
  package func loadConfig(_ repository: Repository, names: [String]? = nil) async -> (
    InfraConfig?, Diagnostics
  ) {
    if let error = repository.linkOut(
      repository.configURL, shown: Repository.configFileName,
      hint: "keep infra.yaml in the repository: it must be reviewed with it")
    {
      return (nil, Diagnostics([error]))
    }
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
}

extension WorkspaceLoader {
  /// Reads `infra.yaml` and runs its inventory programs into a workspace without connectors,
  /// for commands about hosts alone (`infra run`, `infra unlock`): no connector program is
  /// started and no resource file is read. With `names`, as `loadConfig` takes them.
  package func loadHosts(_ repository: Repository, names: [String]? = nil) async -> Outcome {
    let (config, found) = await loadConfig(repository, names: names)
    let diagnostics = Diagnostics(found.sorted)
    guard let config, !diagnostics.hasErrors else {
      return Outcome(workspace: nil, diagnostics: diagnostics, config: config)
    }
    let workspace = Workspace(
      repository: repository, config: config, inventory: Inventory(config: config),
      connectors: [], diagnostics: diagnostics, changes: nil)
    return Outcome(workspace: workspace, diagnostics: diagnostics, config: config)
  }
}
