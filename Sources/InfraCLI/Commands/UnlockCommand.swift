import ArgumentParser
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

  @Argument(help: "The hosts to unlock, as infra.yaml names them.")
  var hosts: [String]

  func run() async throws {
    let session = try Session(global)
    let (config, diagnostics) = ConfigLoader.load(from: session.repository.configURL)
    session.report(diagnostics.sorted)
    guard let config, !diagnostics.hasErrors else { throw ExitCode.failure }
    let inventory = Inventory(config: config)
    var unknown: [Diagnostic] = []
    for name in hosts where inventory.host(named: name) == nil {
      var hint = "hosts: " + inventory.hosts.map(\.name).joined(separator: ", ")
      if let match = closestMatch(to: name, in: inventory.hosts.map(\.name)) {
        hint = "did you mean '\(match)'? " + hint
      }
      unknown.append(.error("there is no host '\(name)' in infra.yaml", hint: hint))
    }
    guard unknown.isEmpty else {
      session.report(unknown)
      throw ExitCode.failure
    }
    let connections = HostConnections(provider: StandardTransports())
    var failed = false
    for name in hosts {
      guard let host = inventory.host(named: name) else { continue }
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
