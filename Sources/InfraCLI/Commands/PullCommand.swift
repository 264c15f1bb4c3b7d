import ArgumentParser
import Foundation
import InfraCore
import InfraEngine

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

  @Argument(
    help: "Resource files or folders, or addresses as plans print them.",
    completion: Completions.paths)
  var paths: [String]

  @Flag(help: "Show what would be written without writing it.")
  var dryRun = false

  @OptionGroup var limit: LimitOption
  @OptionGroup var options: RunOptions
  @OptionGroup var timeout: TimeoutOption

  func run() async throws {
    let session = try Session(global, resultsOnStandardError: options.resultsOnStandardError)
    let workspace = try await session.loadWorkspace()
    let result = try await session.execute(
      PullJob(
        try session.patterns(paths, in: workspace), write: !dryRun,
        hosts: try limit.hosts(in: workspace, session: session)), in: workspace,
      options: options, timeout: timeout.timeout, interruptMessage: Interrupts.closing)
    await workspace.close()
    guard result.output.matched > 0 else {
      session.report([
        .error(
          "no resource matches \(paths.joined(separator: " "))"
            + (limit.names.isEmpty ? "" : " on --limit \(limit.names.joined(separator: ","))"),
          hint: "name resource files or addresses as `infra plan` prints them")
      ])
      throw ExitCode.failure
    }
    let console = session.console
    let style = console.styler
    let pulled = result.output
    let verb = dryRun ? "would write" : "wrote"
    for file in pulled.files {
      let action = file.content == nil ? (dryRun ? "would remove" : "removed") : verb
      console.out(style("\(action) \(file.path)", .bold) + ": \(file.summary.visible)\n")
    }
    if pulled.files.isEmpty && pulled.failures.isEmpty && result.status == .successful {
      console.out("Nothing to pull: the repository already declares what the hosts have.\n")
    }
    if let reason = pulled.notWritten {
      session.report([.error(reason, hint: "check that the repository's folders are writable")])
    }
    if !pulled.failures.isEmpty {
      console.out(
        "\n" + PlanRenderer(style: style).renderFailures(pulled.failures, heading: "Not pulled:"))
    }
    if !pulled.files.isEmpty && !dryRun {
      console.out("\nReview the change with `git diff`, then commit it.\n")
    }
    console.out(RunRenderer(style: style).stopped(result))
    try session.finish(result)
  }
}
