import Foundation
import InfraCore
import InfraTransport

/// Writes resource files from live state (`infra import`, Autoschematic's import): to adopt
/// what hosts already have. Never overwrites a file the repository has.
public struct Importer: Sendable {
  public var workspace: Workspace
  public var transports: any TransportProvider
  public var parallelism: Int

  public init(workspace: Workspace, transports: any TransportProvider, parallelism: Int = 10) {
    self.workspace = workspace
    self.transports = transports
    self.parallelism = parallelism
  }

  public struct Result: Sendable {
    /// New files, repository-relative, with their content, in path order.
    public var files: [(path: String, content: Data)] = []
    /// Files the repository has already, left as they are.
    public var existing: [String] = []
    public var failures: [Failure] = []
  }

  /// Asks every connector that `connectors` selects (all when empty) what each of its hosts
  /// (those in `hosts`, all when empty) has. Nothing is written.
  public func list(connectors: Set<String> = [], hosts: Set<String> = []) async -> Result {
    let instances = workspace.connectors.filter { connectors.isEmpty || connectors.contains($0.id) }
    var work: [(InventoryHost, ConnectorInstance)] = []
    for instance in instances {
      for host in instance.hosts where hosts.isEmpty || hosts.contains(host.name) {
        work.append((host, instance))
      }
    }
    let connections = HostConnections(provider: transports)
    let outcomes = await forEachConcurrently(work, limit: parallelism) { host, instance in
      do {
        let transport = instance.transport(
          try await connections.transport(for: host), for: host, counter: nil)
        let response = try await instance.connector.list(
          ListRequest(host: host, transport: transport))
        return (response.files, [Failure]())
      } catch let error as ConnectorCannotList {
        return (
          [],
          [
            Failure(
              kind: .connector, host: host.name, connectorID: instance.id, message: "\(error)",
              resources: 0)
          ]
        )
      } catch {
        return (
          [],
          [
            Failure(
              kind: .connector, host: host.name, connectorID: instance.id,
              message: reasonText(error), resources: 0)
          ]
        )
      }
    }
    await connections.closeAll()
    var result = Result()
    var seen: Set<String> = []
    for (files, failures) in outcomes {
      result.failures += failures
      for (address, content) in files where seen.insert(address.repositoryPath).inserted {
        let path = address.repositoryPath
        if FileManager.default.fileExists(
          atPath: workspace.repository.root.appending(path: path).path)
        {
          result.existing.append(path)
        } else {
          result.files.append((path, content))
        }
      }
    }
    result.files.sort { $0.path < $1.path }
    result.existing.sort()
    return result
  }

  /// Writes the new files, creating their folders.
  public static func write(_ files: [(path: String, content: Data)], into repository: Repository)
    throws
  {
    for (path, content) in files {
      let url = repository.root.appending(path: path)
      try FileManager.default.createDirectory(
        at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
      try content.write(to: url, options: .atomic)
    }
  }
}
