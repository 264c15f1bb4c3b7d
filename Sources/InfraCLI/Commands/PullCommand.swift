import ArgumentParser
import Foundation
import InfraConnectors
import InfraCore
import InfraEngine
import InfraTransport

struct PullCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "pull",
    abstract: "Write the live state of resources back into their files, to keep a hand change.",
    discussion: """
      When `infra plan --detailed-exitcode` reports drift that should stay, pull the drifted \
      resources: their files then declare what the hosts have, and the change is reviewed as a \
      git diff like any other. Nothing on the hosts changes.
      """)

  @OptionGroup var global: GlobalOptions

  @Argument(help: "Resource files or folders, or addresses as plans print them.")
  var paths: [String]

  @Flag(help: "Show what would be written without writing it.")
  var dryRun = false

  func run() async throws {
    let session = try Session(global)
    let workspace = try await session.loadWorkspace()
    let patterns = try session.patterns(paths, in: workspace)
    let result = await Puller(
      workspace: workspace,
      transports: RepositoryTransports(config: workspace.config, repository: session.repository)
    )
    .pull(patterns)
    let console = session.console
    let style = console.styler
    if result.matched == 0 {
      session.report([
        .error(
          "no resource matches \(paths.joined(separator: " "))",
          hint: "name resource files or addresses as `infra plan` prints them")
      ])
      throw ExitCode.failure
    }
    if !dryRun {
      do {
        try Puller.write(result.files, into: session.repository)
      } catch {
        session.report([.error("cannot write the pulled files: \(error.localizedDescription)")])
        throw ExitCode.failure
      }
    }
    let verb = dryRun ? "would write" : "wrote"
    for file in result.files {
      let action = file.content == nil ? (dryRun ? "would remove" : "removed") : verb
      console.out(style("\(action) \(file.path)", .bold) + ": \(file.summary.visible)\n")
    }
    if result.files.isEmpty && result.failures.isEmpty {
      console.out("Nothing to pull: the repository already declares what the hosts have.\n")
    }
    if !result.failures.isEmpty {
      console.out(
        "\n" + PlanRenderer(style: style).renderFailures(result.failures, heading: "Not pulled:"))
    }
    if !result.files.isEmpty && !dryRun {
      console.out("\nReview the change with `git diff`, then commit it.\n")
    }
    await workspace.close()
    try session.finish(failed: !result.failures.isEmpty)
  }
}
