import ArgumentParser
import Foundation

struct LSPCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "lsp",
    abstract: "Serve the Language Server Protocol on standard input and output, for editors.",
    discussion: """
      Diagnostics as `infra validate` gives them (external connectors' included) for \
      infra.yaml, attribute files and resource files as they are edited; hover, completion \
      of keys, hosts, @groups, connector types and options; go to a host's or group's \
      definition. The README shows the setup for Neovim and VS Code.
      """)

  func run() async throws {
    let server = LanguageServer(
      connection: LSPConnection(input: .standardInput, output: .standardOutput))
    let code = await server.run()
    if code != 0 { throw ExitCode(code) }
  }
}
