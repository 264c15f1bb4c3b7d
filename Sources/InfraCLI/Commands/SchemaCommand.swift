import ArgumentParser
import InfraConnectors
import InfraCore
import InfraEngine

struct SchemaCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "schema",
    abstract: "Print the JSON Schema of infra.yaml (or of .infra-attrs.yaml) for editors.",
    discussion: """
      In a repository, the schema also knows the options of the repository's external \
      connectors (their programs are started to ask). docs/schemas/ holds the builtin ones: \
      `infra schema --builtin` and `infra schema --attributes`. Point an editor at them with \
      a first line `# yaml-language-server: $schema=…` (the demo's infra.yaml has one).
      """)

  @OptionGroup var global: GlobalOptions

  @Flag(help: "The schema of .infra-attrs.yaml files (the files connector's attributes).")
  var attributes = false

  @Flag(help: "The schema with the builtin connector types only, without a repository.")
  var builtin = false

  func run() async throws {
    let registry = ConnectorRegistry.builtin
    let types = registry.typeNames.compactMap { registry[$0]?.info }
    if attributes || builtin {
      Verbosity.set(debug: global.verbose)
      let document =
        attributes
        ? SchemaDocuments.attributes(AttributesFile.schema) : SchemaDocuments.config(types: types)
      Console(color: false).out(document.pretty() + "\n")
      return
    }
    let session = try Session(global)
    let workspace = try await session.loadWorkspace()
    await workspace.close()
    // External connectors are their programs: each is known by its name.
    let external = workspace.connectors.filter { $0.config.program != nil }
      .map { (name: $0.name, info: $0.info) }
    session.console.out(SchemaDocuments.config(types: types, external: external).pretty() + "\n")
  }
}
