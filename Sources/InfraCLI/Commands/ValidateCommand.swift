import ArgumentParser

struct ValidateCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "validate",
    abstract: "Check infra.yaml and every resource file without contacting any host.")

  @OptionGroup var global: GlobalOptions

  func run() async throws {
    let session = try Session(global)
    let workspace = try await session.loadWorkspace()
    let connectors = workspace.connectors.count
    let hosts = workspace.inventory.hosts.count
    session.console.out(
      session.console.styler("Valid:", .bold, .green)
        + " \(workspace.config.path), \(count(hosts, "host")), \(count(connectors, "connector")), "
        + "\(count(workspace.fileCount, "resource file")) declaring \(count(workspace.resourceCount, "resource"))"
        + " (\(DiagnosticRenderer.count(workspace.diagnostics))).\n")
    await workspace.close()
  }
}

/// `1 host`, `3 hosts`.
func count(_ number: Int, _ noun: String) -> String {
  number == 1 ? "1 \(noun)" : "\(number) \(noun)s"
}
