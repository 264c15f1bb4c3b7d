import ArgumentParser
import InfraCore
import InfraEngine

struct UnlockCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "unlock",
    abstract: "Remove the apply lock of hosts, whoever holds it.",
    discussion: """
      Each apply locks its hosts and releases them however it ends. A lock left by a process \
      killed on this machine is taken over by the next apply, and any other once its lease \
      (locks: { lease: }) has run out; unlock removes one at once. Check that the holder shown \
      is really gone before unlocking.
      """)

  @OptionGroup var global: GlobalOptions

  @Argument(
    help: "The hosts to unlock, as infra.yaml names them, or @groups.",
    completion: Completions.hosts)
  var hosts: [String]

  @OptionGroup var options: RunOptions
  @OptionGroup var timeout: TimeoutOption

  func run() async throws {
    let session = try Session(global, resultsOnStandardError: options.resultsOnStandardError)
    let workspace = try await session.loadHosts(for: hosts)
    let selected = try session.hosts(hosts, in: workspace.inventory)
    let renderer = CommandRenderer(style: session.console.styler)
    let result = try await session.execute(
      UnlockJob(selected, onOutcome: { session.console.out(renderer.render($0)) }),
      in: workspace, options: options, timeout: timeout.timeout,
      interruptMessage: Interrupts.closing)
    try session.finish(result)
  }
}
