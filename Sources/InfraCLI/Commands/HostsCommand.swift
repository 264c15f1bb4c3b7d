import ArgumentParser
import InfraCore

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

  func run() async throws {
    let session = try Session(global)
    let inventory = try await session.loadHosts(for: targets).inventory
    let hosts = targets.isEmpty ? inventory.hosts : try session.hosts(targets, in: inventory)
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
