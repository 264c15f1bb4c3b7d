import InfraCore
import InfraEngine

extension FilesLoader {
  /// The host and group folders of this connector.
  var targets: HostTargets {
    HostTargets(
      prefix: settings.prefix, connector: settings.name, hosts: settings.hosts,
      inventory: settings.inventory)
  }

  /// Gives each served host its paths: its own tree first, then its named groups, then `@all`.
  func assign(_ declared: [String: [String: Declared]], diagnostics: inout [Diagnostic])
    -> [Resource]
  {
    targets.assign(
      declared,
      describe: { path, host in
        (
          settings.hostPath(path),
          "resources/\(settings.prefix)/\(settings.name)/\(host)/\(path)"
        )
      }, diagnostics: &diagnostics)
  }
}
