import Foundation
import InfraCore
import InfraTransport

/// Writes live state back into resource files (`infra pull`, Autoschematic's pull-state): for a
/// change made by hand on a host that should be kept. Reads in the same batches as a plan.
public struct Puller: Sendable {
  public var workspace: Workspace
  public var transports: any TransportProvider
  public var parallelism: Int

  public init(workspace: Workspace, transports: any TransportProvider, parallelism: Int = 10) {
    self.workspace = workspace
    self.transports = transports
    self.parallelism = parallelism
  }

  public struct Result: Sendable {
    /// The files to write, one per path, in path order.
    public var files: [PulledFile] = []
    /// What could not be pulled, with the reason.
    public var failures: [Failure] = []
    /// How many resource instances the patterns matched.
    public var matched = 0
  }

  /// Reads every resource under `patterns` (not those git deleted) and asks its connector for
  /// the files that would declare what the host has. Nothing is written.
  public func pull(_ patterns: [AddressPattern]) async -> Result {
    var result = Result()
    var work: [String: [(ConnectorInstance, [Resource])]] = [:]
    for instance in workspace.connectors {
      var byHost: [String: [Resource]] = [:]
      for resource in instance.resources
      where !resource.removed && patterns.contains(where: { $0.matches(resource.address) }) {
        byHost[resource.host, default: []].append(resource)
        result.matched += 1
      }
      for (host, resources) in byHost { work[host, default: []].append((instance, resources)) }
    }
    let connections = HostConnections(provider: transports)
    let hosts = workspace.inventory.hosts.filter { work[$0.name] != nil }
    let shares = work
    let outcomes = await forEachConcurrently(hosts, limit: parallelism) { host in
      await pull(host, shares[host.name] ?? [], connections: connections)
    }
    await connections.closeAll()
    var byPath: [String: PulledFile] = [:]
    var conflicted: Set<String> = []
    for (host, files, failures) in outcomes {
      result.failures += failures
      for file in files where !conflicted.contains(file.path) {
        if let other = byPath[file.path], other.content != file.content {
          result.failures.append(
            Failure(
              kind: .resource, host: host, address: file.address,
              message:
                "\(file.path) serves several hosts and they differ (\(other.summary); \(file.summary)); give each host a file of its own to pull into"
            ))
          conflicted.insert(file.path)
          byPath[file.path] = nil
        } else {
          byPath[file.path] = file
        }
      }
    }
    result.files = byPath.values.sorted { $0.path < $1.path }
    return result
  }

  private func pull(
    _ host: InventoryHost, _ work: [(ConnectorInstance, [Resource])],
    connections: HostConnections
  ) async -> (String, [PulledFile], [Failure]) {
    let transport: any Transport
    do {
      transport = try await connections.transport(for: host)
    } catch {
      let count = work.reduce(0) { $0 + $1.1.count }
      return (
        host.name, [],
        [
          Failure(
            kind: .unreachable, host: host.name, message: unreachableReason(error),
            resources: count)
        ]
      )
    }
    var files: [PulledFile] = []
    var failures: [Failure] = []
    for (instance, resources) in work {
      let scoped = instance.transport(transport, for: host, counter: nil)
      do {
        let read = try await instance.connector.read(
          ReadRequest(host: host, transport: scoped, resources: resources))
        let items = resources.compactMap { resource in
          read.states[resource.address].map { PlanItem(resource: resource, live: $0) }
        }
        let response = try await instance.connector.pull(
          PullRequest(host: host, transport: scoped, items: items))
        files += response.files
        failures += response.problems.map {
          Failure(
            kind: .resource, host: host.name, connectorID: instance.id, address: $0.address,
            message: $0.message)
        }
      } catch {
        failures.append(
          Failure(
            kind: .connector, host: host.name, connectorID: instance.id,
            message: reasonText(error), resources: resources.count))
      }
    }
    return (host.name, files, failures)
  }

  /// Writes (or removes) the pulled files in the repository, each atomically.
  public static func write(_ files: [PulledFile], into repository: Repository) throws {
    for file in files {
      let url = repository.root.appending(path: file.path)
      if let content = file.content {
        try content.write(to: url, options: .atomic)
      } else {
        try FileManager.default.removeItem(at: url)
      }
    }
  }
}
