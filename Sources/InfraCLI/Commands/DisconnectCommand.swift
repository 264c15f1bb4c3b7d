import ArgumentParser
import InfraCore
import InfraTransport

struct DisconnectCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "disconnect",
    abstract: "Close the SSH connections that runs keep open for the next one.",
    discussion: """
      A run leaves each SSH host's connection open for `ssh_persist` seconds (60 unless a \
      host's data says otherwise; 0 closes it when the run ends), so that a plan followed by \
      its apply pays one handshake. Anyone who can act as you on this machine can use an open \
      connection meanwhile, as with OpenSSH's own ControlPersist: disconnect closes them now.
      """)

  @OptionGroup var global: GlobalOptions

  @Argument(
    help:
      "The hosts whose connection to close, as infra.yaml names them, or @groups; every host when none is named.",
    completion: Completions.hosts)
  var hosts: [String] = []

  func run() async throws {
    let session = try Session(global, resultsOnStandardError: false)
    let workspace = try await session.loadHosts(for: hosts)
    let selected =
      hosts.isEmpty
      ? workspace.inventory.hosts : try session.hosts(hosts, in: workspace.inventory)
    var closed = 0
    for host in selected {
      guard case .ssh = host.connection, let transport = try? SSHTransport(host: host) else {
        continue
      }
      if await transport.closePersistentMaster() {
        closed += 1
        session.console.out("closed the connection to \(host.name)\n")
      }
    }
    if closed == 0 { session.console.out("no connection was open\n") }
  }
}
