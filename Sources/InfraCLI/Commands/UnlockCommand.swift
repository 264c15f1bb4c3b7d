import ArgumentParser
import InfraConnectors
import InfraCore
import InfraEngine
import InfraTransport

struct UnlockCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "unlock",
    abstract: "Remove the apply lock of hosts, left behind by a run that was killed.",
    discussion: """
      Each apply locks its hosts and releases them however it ends, unless its process is \
      killed outright. Check that the holder shown is really gone before unlocking.
      """)

  @OptionGroup var global: GlobalOptions

  @Argument(help: "The hosts to unlock, as infra.yaml names them, or @groups.")
  var hosts: [String]

  func run() async throws {
    let session = try Session(global)
    let config = try await session.loadConfig(for: hosts)
    let hosts = try session.hosts(self.hosts, in: Inventory(config: config))
    let connections = HostConnections(
      provider: RepositoryTransports(config: config, repository: session.repository))
    var failed = false
    for host in hosts {
      let name = host.name
      do {
        let transport = try await connections.transport(for: host)
        if let (holder, raw) = try await HostLock(host: name, folder: config.lockFolder)
          .forceRelease(through: transport)
        {
          session.console.out(
            "Removed the lock on \(name) held by \(holder?.description ?? "'\(raw)'").\n")
        } else {
          session.console.out("\(name) was not locked.\n")
        }
      } catch {
        failed = true
        session.report([
          .error("cannot unlock \(name): \(error)", hint: "check that the host can be reached")
        ])
      }
    }
    await connections.closeAll()
    try session.finish(failed: failed)
  }
}
