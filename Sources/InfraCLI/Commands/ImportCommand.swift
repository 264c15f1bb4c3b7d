import ArgumentParser
import Foundation
import InfraConnectors
import InfraCore
import InfraEngine
import InfraTransport

struct ImportCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "import",
    abstract: "Write resource files for what hosts already have, to adopt existing systems.",
    discussion: """
      Each connector that can list what a host has writes a resource file per resource. A \
      file the repository already has is never overwritten. Review the new files with \
      `git status` and `infra plan` (which then shows no change for them), and commit them.
      """)

  @OptionGroup var global: GlobalOptions

  @Option(
    name: .customLong("connector"),
    help: ArgumentHelp(
      "Only this connector, as prefix/name (repeatable).", valueName: "prefix/name"))
  var connectors: [String] = []

  @Option(
    name: .customLong("host"), help: ArgumentHelp("Only this host (repeatable).", valueName: "host")
  )
  var hosts: [String] = []

  @Flag(help: "Show what would be written without writing it.")
  var dryRun = false

  func run() async throws {
    let session = try Session(global)
    let workspace = try await session.loadWorkspace()
    let known = workspace.connectors.map(\.id)
    var problems: [Diagnostic] = []
    for id in connectors where !known.contains(id) {
      problems.append(
        .error(
          "there is no connector '\(id)' in infra.yaml",
          hint: "connectors: \(known.joined(separator: ", "))"))
    }
    _ = try session.hosts(hosts, in: workspace.inventory)
    guard problems.isEmpty else {
      session.report(problems)
      await workspace.close()
      throw ExitCode.failure
    }
    let result = await Importer(
      workspace: workspace,
      transports: RepositoryTransports(config: workspace.config, repository: session.repository)
    )
    .list(connectors: Set(connectors), hosts: Set(hosts))
    await workspace.close()
    let console = session.console
    let style = console.styler
    if !dryRun {
      do {
        try Importer.write(result.files, into: session.repository)
      } catch {
        session.report([.error("cannot write the imported files: \(error.localizedDescription)")])
        throw ExitCode.failure
      }
    }
    for (path, content) in result.files {
      console.out(
        style((dryRun ? "would write " : "wrote ") + path.visible, .bold, .green)
          + " (\(content.count) bytes)\n")
    }
    for path in result.existing {
      console.out("kept \(path.visible): the repository has it already\n")
    }
    if result.files.isEmpty && result.existing.isEmpty && result.failures.isEmpty {
      console.out("Nothing to import: the connectors found no resources on the hosts.\n")
    }
    if !result.failures.isEmpty {
      console.out(
        "\n" + PlanRenderer(style: style).renderFailures(result.failures, heading: "Not imported:"))
    }
    if !result.files.isEmpty && !dryRun {
      console.out("\nReview them with `git status` and `infra plan`, then commit them.\n")
    }
    try session.finish(failed: !result.failures.isEmpty)
  }
}
