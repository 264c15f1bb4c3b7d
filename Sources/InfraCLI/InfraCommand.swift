import ArgumentParser

/// The `infra` command line: thin commands over the engine.
public struct InfraCommand: AsyncParsableCommand {
  public static let version = "0.1.0"

  public static let configuration = CommandConfiguration(
    commandName: "infra",
    abstract: "Reconcile hosts with a git repository of plain resource files.",
    discussion: """
      infra.yaml lists the hosts and the connectors enabled under each prefix; resources/ holds \
      one file per resource. `infra plan` shows what would change; `infra apply` makes it so.
      """,
    version: version,
    subcommands: [
      PlanCommand.self, ApplyCommand.self, ValidateCommand.self, HostsCommand.self,
      ConnectorsCommand.self, RunCommand.self,
    ])

  public init() {}
}
