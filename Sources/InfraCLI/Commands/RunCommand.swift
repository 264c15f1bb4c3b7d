import ArgumentParser
import Foundation
import InfraCore
import InfraEngine

struct RunCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "run",
    abstract: "Run a shell command on hosts and print each host's output.",
    usage: "infra run [OPTIONS] HOST|@GROUP... -- COMMAND...",
    discussion: """
      The words after `--` are joined into one command line for `sh -c` on every host, through \
      the same transports plans use: the quickest check that hosts are reachable. Options may \
      come before or after the hosts. Exit code 0 when the command exited 0 everywhere, 124 \
      when --timeout stopped it on a host, 1 otherwise, 130 when interrupted.
      """)

  @OptionGroup var global: GlobalOptions
  @OptionGroup var options: RunOptions

  @Flag(help: "Run the command through sudo (as root, or as --sudo-user).")
  var sudo = false

  @Option(help: "Run the command through sudo as this user.")
  var sudoUser: String?

  @Option(
    help: ArgumentHelp(
      "Stop the command after this many seconds on a host (exit 124 when it was stopped anywhere).",
      valueName: "seconds"))
  var timeout: Int?

  @Flag(help: "Print each host's outcome as JSON at the end, rather than as it comes.")
  var json = false

  @Argument(
    help: ArgumentHelp(
      "Host names and @groups, then `--` and the command.", valueName: "HOST|@GROUP"),
    completion: Completions.hosts)
  var targets: [String] = []

  /// The words after `--`, which `InfraCommand.normalize` hands over as options: an array of
  /// positional arguments cannot follow another.
  static let commandWordOption = "command-word"

  @Option(name: .customLong(commandWordOption), help: .hidden)
  var command: [String] = []

  func validate() throws {
    if json && options.events == "-" {
      throw ValidationError("--json and --events - both want standard output; give --events a file")
    }
    if targets.isEmpty { throw ValidationError("name at least one host or @group") }
    if command.isEmpty {
      throw ValidationError(
        "give the command after `--`, which keeps its options from infra's: infra run web1 -- uptime"
      )
    }
    if let timeout, timeout < 1 { throw ValidationError("--timeout must be at least 1") }
  }

  func run() async throws {
    let session = try Session(global, resultsOnStandardError: options.resultsOnStandardError)
    let workspace = try await session.loadHosts(for: targets)
    let hosts = try session.hosts(targets, in: workspace.inventory)
    let renderer = CommandRenderer(style: session.console.styler)
    let job = CommandJob(
      command.joined(separator: " "), on: hosts,
      escalation: sudo || sudoUser != nil ? .sudo(user: sudoUser) : nil,
      timeout: timeout.map { .seconds($0) },
      onOutcome: { [json] outcome in if !json { session.console.out(renderer.render(outcome)) } })
    let result = try await session.execute(
      job, in: workspace, options: options, interruptMessage: Interrupts.closing)
    if json {
      session.console.out(JSONValue.array(result.output.map(\.json)).pretty(indent: 0) + "\n")
    } else {
      session.console.out(renderer.summary(result.output))
    }
    try session.finish(result)  // 124 when a command was stopped by its timeout anywhere
  }
}
