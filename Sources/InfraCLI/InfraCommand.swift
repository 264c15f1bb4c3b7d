import ArgumentParser
import Foundation
import InfraCore

/// The `infra` command line: thin commands over the engine.
package struct InfraCommand: AsyncParsableCommand {
  package static let version = "0.1.0"

  package static let configuration = CommandConfiguration(
    commandName: "infra",
    abstract: "Reconcile hosts with a git repository of plain resource files.",
    discussion: """
      infra.yaml lists the hosts and the connectors enabled under each prefix; resources/ holds \
      one file per resource. `infra plan` shows what would change; `infra apply` makes it so.
      """,
    version: version,
    subcommands: [
      PlanCommand.self, ApplyCommand.self, ValidateCommand.self, HostsCommand.self,
      ConnectorsCommand.self, RunCommand.self, ShowCommand.self, PullCommand.self,
      ImportCommand.self, SecretsCommand.self, UnlockCommand.self, RunsCommand.self,
      SchemaCommand.self, LSPCommand.self, DisconnectCommand.self,
    ])

  package init() {}

  /// Runs the command line `arguments` (without the program's name): a first word that names
  /// no command gets a did-you-mean and exit 64, as git has it.
  package static func run(_ arguments: [String]) async {
    let arguments = normalize(arguments)
    if let word = arguments.first, !word.hasPrefix("-") {
      var names: [String] = []
      for command in configuration.subcommands {
        if let name = command.configuration.commandName { names.append(name) }
      }
      names.append("help")
      if !names.contains(word) {
        var hint = "commands: " + names.dropLast().joined(separator: ", ")
        if let match = closestMatch(to: word, in: names) {
          hint = "did you mean '\(match)'? " + hint
        }
        let console = Console(color: nil)
        console.error(
          DiagnosticRenderer(style: console.errorStyler).render(
            .error("there is no command '\(word.clipped(to: 80))' in infra", hint: hint)))
        Foundation.exit(64)
      }
    }
    await main(arguments)
  }

  /// The arguments as the parser takes them: global options written before the subcommand
  /// (`infra -C dir plan`, as with git) moved after it, and the command of `infra run`, after
  /// its `--`, handed over as `--command-word=WORD` each, so that the hosts before it can be
  /// mixed with options and `--help` works as everywhere.
  package static func normalize(_ arguments: [String]) -> [String] {
    let arguments = globalsMoved(arguments)
    guard arguments.first == RunCommand.configuration.commandName,
      let terminator = arguments.firstIndex(of: "--")
    else { return arguments }
    return Array(arguments[..<terminator])
      + arguments[(terminator + 1)...].map { "--\(RunCommand.commandWordOption)=\($0)" }
  }

  private static func globalsMoved(_ arguments: [String]) -> [String] {
    var leading: [String] = []
    var index = 0
    while index < arguments.count {
      let argument = arguments[index]
      if ["-C", "--repo"].contains(argument), index + 1 < arguments.count {
        leading += [argument, arguments[index + 1]]
        index += 2
      } else if argument.hasPrefix("--repo=")
        || ["-v", "--verbose", "--color", "--no-color"].contains(argument)
      {
        leading.append(argument)
        index += 1
      } else {
        break
      }
    }
    guard !leading.isEmpty, index < arguments.count else { return arguments }
    return [arguments[index]] + leading + arguments[(index + 1)...]
  }
}
