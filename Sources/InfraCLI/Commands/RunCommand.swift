import ArgumentParser
import Foundation
import InfraConnectors
import InfraCore
import InfraEngine
import InfraTransport

struct RunCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "run",
    abstract: "Run a shell command on hosts and print each host's output.",
    usage: "infra run [OPTIONS] HOST|@GROUP... -- COMMAND...",
    discussion: """
      The words after `--` are joined into one command line for `sh -c` on every host, through \
      the same transports plans use: the quickest check that hosts are reachable. Exit code 0 \
      when the command exited 0 everywhere, 1 otherwise.
      """)

  @OptionGroup var global: GlobalOptions

  @Argument(
    parsing: .captureForPassthrough,
    help: ArgumentHelp(
      "Host names and @groups, then `--` and the command.", valueName: "HOST|@GROUP... -- COMMAND"))
  var words: [String] = []

  /// The hosts and groups: the words before `--`.
  var targets: [String] { Array(words.prefix { $0 != "--" }) }
  /// The command: the words after `--`.
  var command: [String] { Array(words.drop { $0 != "--" }.dropFirst()) }

  @Flag(help: "Run the command through sudo (as root, or as --sudo-user).")
  var sudo = false

  @Option(help: "Run the command through sudo as this user.")
  var sudoUser: String?

  @Option(help: "Stop the command after this many seconds.")
  var timeout: Int?

  @Option(help: "The most hosts to work on at once.")
  var parallelism = 10

  func validate() throws {
    if targets.isEmpty { throw ValidationError("name at least one host or @group") }
    if !words.contains("--") {
      throw ValidationError("put `--` between the hosts and the command: infra run web1 -- uptime")
    }
    if command.isEmpty { throw ValidationError("give the command after `--`") }
    if let timeout, timeout < 1 { throw ValidationError("--timeout must be at least 1") }
    if parallelism < 1 { throw ValidationError("--parallelism must be at least 1") }
  }

  func run() async throws {
    let session = try Session(global)
    let config = try await session.loadConfig(for: targets)
    let inventory = Inventory(config: config)
    let hosts = try session.hosts(targets, in: inventory)

    let connections = HostConnections(
      provider: RepositoryTransports(config: config, repository: session.repository))
    Interrupts.closeOnSignal(connections)
    let escalation: Escalation? = sudo || sudoUser != nil ? .sudo(user: sudoUser) : nil
    let style = session.console.styler
    let outcomes = await AdHocCommand(
      command: command.joined(separator: " "), escalation: escalation,
      timeout: timeout.map { .seconds($0) }, parallelism: parallelism
    ).run(on: hosts, connections: connections) { outcome in
      session.console.out(Self.render(outcome, style: style))
    }
    await connections.closeAll()

    let failed = outcomes.count { !$0.succeeded }
    let unreachable = outcomes.count { if case .unreachable = $0.status { true } else { false } }
    session.console.out(
      style("\(count(outcomes.count, "host")):", .bold)
        + " \(outcomes.count - failed) ok, \(failed - unreachable) failed, \(unreachable) unreachable.\n"
    )
    try session.finish(failed: failed > 0)
  }

  /// One host's outcome: a status line, then what the command printed.
  static func render(_ outcome: AdHocCommand.Outcome, style: Styler) -> String {
    let took = outcome.duration.shortDescription
    var text =
      switch outcome.status {
      case .exited(0): style("\(outcome.host) | ok | exit 0 | \(took)", .bold, .green) + "\n"
      case .exited(let code):
        style("\(outcome.host) | failed | exit \(code) | \(took)", .bold, .red) + "\n"
      case .unreachable(let reason):
        style("\(outcome.host) | unreachable", .bold, .red) + " \(reason)\n"
      case .failed(let reason): style("\(outcome.host) | failed", .bold, .red) + " \(reason)\n"
      }
    for (data, color) in [(outcome.stdout, nil), (outcome.stderr, Style.red)] where !data.isEmpty {
      var output = String(decoding: data, as: UTF8.self)
      if !output.hasSuffix("\n") { output += "\n" }
      text += color.map { style(output, $0) } ?? output
    }
    return text
  }
}
