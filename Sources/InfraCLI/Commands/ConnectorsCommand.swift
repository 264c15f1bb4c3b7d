import ArgumentParser
import InfraConnectors
import InfraCore
import InfraEngine

struct ConnectorsCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "connectors",
    abstract: "List the enabled connectors, their resources, and the options each type takes.")

  @OptionGroup var global: GlobalOptions

  @Flag(help: "Print the connectors and the connector types as JSON.")
  var json = false

  func run() async throws {
    let session = try Session(global)
    let style = session.console.styler
    let workspace = try await session.loadWorkspace()
    await workspace.close()
    var table = TextTable(
      header: ["PREFIX", "NAME", "TYPE", "HOSTS", "FOLDER", "FILES", "RESOURCES"], numeric: [5, 6])
    for instance in workspace.connectors {
      let hosts =
        instance.config.hosts.map { $0.map(\.value.description).joined(separator: " ") } ?? "all"
      table.rows.append([
        instance.prefix, instance.name, instance.info.type, hosts,
        "resources/\(instance.prefix)/\(instance.name)/", String(instance.fileCount),
        String(instance.resources.count),
      ])
    }
    let used = Set(workspace.connectors.map(\.info.type))
    let registry = ConnectorRegistry.builtin
    var types = registry.typeNames.compactMap { name in registry[name]?.info }
    // External connectors are types of their own, as their programs declared them.
    var seen = Set(types.map(\.type))
    for instance in workspace.connectors where seen.insert(instance.info.type).inserted {
      types.append(instance.info)
    }
    if json {
      let document = JSONValue.object([
        "connectors": .array(workspace.connectors.map(\.json)),
        "types": .array(types.map { $0.json(enabled: used.contains($0.type)) }),
      ])
      session.console.out(document.pretty(indent: 0) + "\n")
      return
    }
    var text = table.render(style)
    text += "\n" + style("Connector types:", .bold) + "\n"
    for info in types {
      text +=
        "\n  " + style(info.type, .bold)
        + (used.contains(info.type) ? "" : style(" (not enabled)", .dim))
      text += "  \(info.summary)\n"
      text += "    layout: \(info.layout)\n"
      text +=
        info.options.isEmpty ? "    options: none\n" : "    options:\n" + specs(info.options, style)
      if !info.hostData.isEmpty {
        text += "    host data it reads:\n" + specs(info.hostData, style)
      }
    }
    session.console.out(text)
  }

  /// Declared settings as an indented table: name, type, default, description.
  private func specs(_ specs: [OptionSpec], _ style: Styler) -> String {
    var table = TextTable(header: ["NAME", "TYPE", "DEFAULT", "DESCRIPTION"])
    for spec in specs {
      table.rows.append([
        spec.name, spec.type.rawValue, spec.defaultValue.map(describe) ?? "-", spec.summary,
      ])
    }
    return table.render(style).split(separator: "\n").map { "      " + $0 }.joined(
      separator: "\n") + "\n"
  }

  private func describe(_ value: JSONValue) -> String {
    switch value {
    case .string(let text): "\"\(text)\""
    case .int(let number): String(number)
    case .bool(let flag): String(flag)
    default: "\(value)"
    }
  }
}
