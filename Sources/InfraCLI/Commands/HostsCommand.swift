import ArgumentParser
import InfraCore
import InfraEngine

struct HostsCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "hosts", abstract: "List the hosts of the inventory and how they are reached.")

  @OptionGroup var global: GlobalOptions

  @Argument(
    help: "Only these hosts, or the hosts of these @groups (default: every host).",
    completion: Completions.hosts)
  var targets: [String] = []

  @Flag(help: "Print the hosts as JSON: name, connect, groups, sudo and data of each.")
  var json = false

  @Flag(
    help:
      "Show each host's data as connectors get it (the defaults', then its groups', then its own) and where each value comes from."
  )
  var data = false

  @Flag(
    help:
      "Connect to the hosts and show their facts as templates get them (hostname, OS, architecture, CPUs, memory): one command per host."
  )
  var facts = false

  @OptionGroup var options: RunOptions

  func run() async throws {
    let session = try Session(global, resultsOnStandardError: options.resultsOnStandardError)
    let workspace = try await session.loadHosts(for: targets)
    let inventory = workspace.inventory
    let hosts = targets.isEmpty ? inventory.hosts : try session.hosts(targets, in: inventory)
    if facts {
      try await showFacts(of: hosts, in: workspace, session: session)
      return
    }
    if json {
      session.console.out(JSONValue.array(hosts.map(\.json)).pretty(indent: 0) + "\n")
      return
    }
    if data {
      session.console.out(
        hosts.map { dataTable($0, style: session.console.styler) }.joined(separator: "\n"))
      return
    }
    var table = TextTable(header: ["HOST", "CONNECT", "GROUPS", "SUDO"])
    for host in hosts {
      let sudo =
        switch host.escalation {
        case .none: "-"
        case .sudo(let user): user ?? "root"
        }
      table.rows.append([
        host.name, host.connection.description,
        host.groups.map { "@\($0)" }.joined(separator: " "), sudo,
      ])
    }
    session.console.out(table.render(session.console.styler))
  }

  /// Gathers the facts of `hosts` in a run and prints them as each host answers (all at the
  /// end, as one JSON object by host name, with `--json`).
  private func showFacts(of hosts: [InventoryHost], in workspace: Workspace, session: Session)
    async throws
  {
    let style = session.console.styler
    let asJSON = json
    let result = try await session.execute(
      FactsJob(
        hosts,
        onOutcome: { outcome in
          guard !asJSON else { return }
          session.console.out(Self.factsTable(outcome, style: style))
        }), in: workspace, options: options)
    if json {
      var object: [String: JSONValue] = [:]
      for outcome in result.output {
        switch outcome.status {
        case .gathered(let facts): object[outcome.host] = facts.json
        case .failed(let reason), .unreachable(let reason):
          object[outcome.host] = .object(["error": .string(reason)])
        case .stopped: continue
        }
      }
      session.console.out(JSONValue.object(object).pretty(indent: 0) + "\n")
    }
    try session.finish(result)
  }

  private static func factsTable(_ outcome: FactsOutcome, style: Styler) -> String {
    let title = style(outcome.host, .bold) + "\n"
    let facts: HostFacts
    switch outcome.status {
    case .gathered(let gathered): facts = gathered
    case .failed(let reason), .unreachable(let reason):
      return title + "  " + style("cannot gather facts: \(reason)", .red) + "\n"
    case .stopped: return title + "  (stopped)\n"
    }
    var table = TextTable(header: ["FACT", "VALUE"])
    func add(_ key: String, _ value: JSONValue) {
      switch value {
      case .object(let members):
        for name in members.keys.sorted() { add("\(key).\(name)", members[name]!) }
      case .string(let text): table.rows.append([key, text])
      default: table.rows.append([key, value.serialized])
      }
    }
    for (key, value) in (facts.json.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
      add("facts.\(key)", value)
    }
    return title
      + table.render(style).split(separator: "\n").map { "  " + $0 }.joined(separator: "\n") + "\n"
  }

  /// One host's data: each key, its value as JSON, and where it comes from.
  private func dataTable(_ host: InventoryHost, style: Styler) -> String {
    let title = style(host.name, .bold) + "\n"
    guard !host.data.isEmpty else { return title + "  (no data)\n" }
    var table = TextTable(header: ["KEY", "VALUE", "FROM"])
    for key in host.data.keys.sorted() {
      let value = host.data[key]!.serialized
      table.rows.append([
        key, value.count > 60 ? String(value.prefix(59)) + "…" : value, host.source(of: key),
      ])
    }
    return title
      + table.render(style).split(separator: "\n").map { "  " + $0 }.joined(separator: "\n") + "\n"
  }
}
