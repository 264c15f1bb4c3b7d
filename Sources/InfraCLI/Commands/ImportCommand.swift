import ArgumentParser
import Foundation
import InfraCore
import InfraEngine

struct ImportCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "import",
    abstract: "Write resource files for what hosts already have, to adopt existing systems.",
    discussion: """
      Each connector that can list what a host has writes a resource file per resource. A \
      file the repository already has is never overwritten. The files connector imports the \
      paths named: `infra import --connector prod/files --host web1 /etc/nginx`. Review the new files with \
      `git status` and `infra plan` (which then shows no change for them), and commit them.
      """)

  @OptionGroup var global: GlobalOptions

  @Option(
    name: .customLong("connector"),
    help: ArgumentHelp(
      "Only this connector, as prefix/name (repeatable).", valueName: "prefix/name"))
  var connectors: [String] = []

  @Option(
    name: .customLong("host"),
    help: ArgumentHelp("Only this host (repeatable).", valueName: "host"),
    completion: Completions.hosts)
  var hosts: [String] = []

  @Flag(help: "Show what would be written without writing it.")
  var dryRun = false

  @Argument(
    help: ArgumentHelp(
      "What to import, for connectors that import what they are told: for files, absolute paths on the host (files under them, with their modes and owners).",
      valueName: "path"))
  var paths: [String] = []

  @OptionGroup var limit: LimitOption
  @OptionGroup var options: RunOptions
  @OptionGroup var timeout: TimeoutOption

  func run() async throws {
    let session = try Session(global, resultsOnStandardError: options.resultsOnStandardError)
    let workspace = try await session.loadWorkspace()
    let known = workspace.connectors.map(\.id)
    var selected: Set<ConnectorID> = []
    var problems: [Diagnostic] = []
    for name in connectors {
      guard let id = ConnectorID(parsing: name), known.contains(id) else {
        let names = known.map(\.description)
        let guess = closestMatch(to: name, in: names).map { "did you mean '\($0)'? " } ?? ""
        problems.append(
          .error(
            "there is no connector '\(name)' in infra.yaml",
            hint: guess + "connectors: \(names.joined(separator: ", "))"))
        continue
      }
      selected.insert(id)
    }
    guard problems.isEmpty else {
      session.report(problems)
      await workspace.close()
      throw ExitCode.failure
    }
    var asked = Set(try session.hosts(hosts, in: workspace.inventory).map(\.name))
    if let limited = try limit.hosts(in: workspace, session: session) {
      asked = hosts.isEmpty ? limited : asked.intersection(limited)
      // An empty set would ask every host.
      guard !asked.isEmpty else {
        session.report([
          .error(
            "--host and --limit have no host in common", hint: "leave one of them out")
        ])
        await workspace.close()
        throw ExitCode.failure
      }
    }
    let result = try await session.execute(
      ImportJob(connectors: selected, hosts: asked, write: !dryRun, paths: paths), in: workspace,
      options: options, timeout: timeout.timeout, interruptMessage: Interrupts.closing)
    await workspace.close()
    let console = session.console
    let style = console.styler
    let imported = result.output
    for (path, content) in imported.files {
      console.out(
        style((dryRun ? "would write " : "wrote ") + path.visible, .bold, .green)
          + " (\(content.count) bytes)\n")
    }
    for path in imported.existing {
      console.out("kept \(path.visible): the repository has it already\n")
    }
    for (host, reason) in imported.skipped {
      console.out("skipped on \(host): \(reason.visible)\n")
    }
    if imported.files.isEmpty && imported.existing.isEmpty && imported.failures.isEmpty
      && result.status == .successful
    {
      console.out("Nothing to import: the connectors found no resources on the hosts.\n")
    }
    if let reason = imported.notWritten {
      session.report([.error(reason, hint: "check that the repository's folders are writable")])
    }
    if !imported.failures.isEmpty {
      console.out(
        "\n"
          + PlanRenderer(style: style).renderFailures(imported.failures, heading: "Not imported:"))
    }
    if !imported.files.isEmpty && !dryRun {
      console.out("\nReview them with `git status` and `infra plan`, then commit them.\n")
    }
    console.out(RunRenderer(style: style).stopped(result))
    try session.finish(result)
  }
}
