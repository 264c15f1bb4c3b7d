import ArgumentParser
import InfraCore
import InfraKit

struct ValidateCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "validate",
    abstract: "Check infra.yaml and every resource file without contacting any host.")

  @OptionGroup var global: GlobalOptions

  @Flag(help: "Print the result as JSON: whether it is valid, the counts, and every problem.")
  var json = false

  func run() async throws {
    let session = try Session(global)
    if json { return try await printJSON(session) }
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

extension ValidateCommand {
  /// Every problem on standard output as JSON, errors or not; exits 1 when there are errors.
  private func printJSON(_ session: Session) async throws {
    let outcome = await RepositoryLoader().load(session.repository)
    let workspace = outcome.workspace
    let document = JSONValue.object([
      "valid": .bool(workspace != nil),
      "hosts": workspace.map { .int($0.inventory.hosts.count) } ?? .null,
      "connectors": workspace.map { .int($0.connectors.count) } ?? .null,
      "files": workspace.map { .int($0.fileCount) } ?? .null,
      "resources": workspace.map { .int($0.resourceCount) } ?? .null,
      "diagnostics": .array(outcome.diagnostics.all.map { PlanDocument.DiagnosticEntry($0).json }),
    ])
    await workspace?.close()
    session.console.out(document.pretty(indent: 0) + "\n")
    if workspace == nil { throw ExitCode.failure }
  }
}

/// `1 host`, `3 hosts`.
func count(_ number: Int, _ noun: String) -> String {
  number == 1 ? "1 \(noun)" : "\(number) \(noun)s"
}
