import Foundation
import InfraCore
import InfraTransport

/// What `infra pull` found, and wrote unless it was a dry run.
package struct PullResult: Sendable {
  /// The files to write, one per path, in path order.
  package var files: [PulledFile] = []
  /// What could not be pulled, with the reason.
  package var failures: [Failure] = []
  /// How many resource instances the patterns matched.
  package var matched = 0
  /// Why the files could not be written, when they could not.
  package var notWritten: String?
}

/// `infra pull` (Autoschematic's pull-state): writes live state back into resource files, for a
/// change made by hand on a host that should be kept. Reads in the same batches as a plan;
/// nothing on the hosts changes.
package struct PullJob: RunJob {
  /// The resources to pull (not those git deleted).
  package var patterns: [AddressPattern]
  /// Whether to write the files; `false` only says what would be written.
  package var write: Bool
  /// Only the resources of these hosts (`--limit`); every host when `nil`.
  package var hosts: Set<String>?

  package init(_ patterns: [AddressPattern], write: Bool = true, hosts: Set<String>? = nil) {
    self.patterns = patterns
    self.write = write
    self.hosts = hosts
  }

  package var kind: RunKind { .pull }

  package func prepare(_ workspace: Workspace) -> (scope: RunScope, work: [HostShares]) {
    let work = workspace.shares { _, resource in
      !resource.removed && patterns.contains { $0.matches(resource.address) }
        && (hosts?.contains(resource.host) ?? true)
    }
    let resources = work.reduce(0) { $0 + $1.resourceCount }
    return (RunScope(hosts: work.map(\.host), resources: resources), work)
  }

  package func perform(_ work: [HostShares], in context: RunContext) async -> JobResult<PullResult>
  {
    let byHost = Dictionary(work.map { ($0.host.name, $0) }, uniquingKeysWith: { a, _ in a })
    let outcomes = await context.fleet.each(work.map(\.host)) { host in
      await host.concurrently(byHost[host.host.name]?.shares ?? []) { await pull($0, on: host) }
    }
    var result = PullResult(matched: work.reduce(0) { $0 + $1.resourceCount })
    var byPath: [String: (host: String, file: PulledFile)] = [:]
    var conflicted: Set<String> = []
    var pulled: [(host: String, file: PulledFile)] = []
    for (hostWork, outcome) in zip(work, outcomes) {
      let host = hostWork.host.name
      switch outcome {
      case .done(let shares):
        for (files, failures) in shares {
          result.failures += failures
          pulled += files.map { (host, $0) }
        }
      case .unreachable(let reason):
        result.failures.append(.unreachable(host, reason, resources: hostWork.resourceCount))
      case .stopped: break
      }
    }
    for (host, file) in pulled where !conflicted.contains(file.path) {
      if let other = byPath[file.path], !other.file.writesTheSame(as: file) {
        result.failures.append(
          Failure(
            kind: .resource, host: host, address: file.address,
            message:
              "\(file.path) serves several hosts and they differ (\(other.file.summary); \(file.summary)); give each host a file of its own to pull into"
          ))
        conflicted.insert(file.path)
        byPath[file.path] = nil
      } else if byPath[file.path] == nil {
        byPath[file.path] = (host, file)
      }
    }
    result.files = byPath.values.map(\.file).sorted { $0.path < $1.path }
    var written: Set<String> = []
    if write {
      (written, result.notWritten) = context.workspace.repository.write(
        result.files.map { ($0.path, $0.content) })
    }
    for (host, file) in pulled where !conflicted.contains(file.path) {
      context.emit(
        .filePulled(
          host: host, address: file.address, path: file.path, removed: file.content == nil,
          written: written.contains(file.path)))
    }
    for (hostWork, outcome) in zip(work, outcomes) {
      let host = hostWork.host.name
      let failures = result.failures.filter { $0.host == host && $0.kind != .unreachable }
      context.hostDone(
        host,
        HostStats(
          host, of: hostWork.resourceCount, outcome: outcome,
          changed: pulled.count { $0.host == host && !conflicted.contains($0.file.path) },
          failed: failures.reduce(0) { $0 + max(1, $1.resources) }))
    }
    return JobResult(
      output: result, failed: !result.failures.isEmpty || result.notWritten != nil)
  }

  /// One connector's share on one host: read, then ask the connector for the files that would
  /// declare what the host has.
  private func pull(_ share: Share, on host: HostWork) async -> ([PulledFile], [Failure]) {
    let instance = share.instance
    do {
      let read = try await host.call(instance, "read", resources: share.resources.count) {
        try await instance.connector.read(
          ReadRequest(
            host: host.host, transport: $0, resources: share.resources, facts: host.facts))
      }
      let items = share.resources.compactMap { resource in
        read.states[resource.address].map { PlanItem(resource: resource, live: $0) }
      }
      let response = try await host.call(instance, "pull", resources: items.count) {
        try await instance.connector.pull(PullRequest(host: host.host, transport: $0, items: items))
      }
      let failures = response.problems.map {
        Failure(kind: .resource, host: host.host.name, address: $0.address, message: $0.message)
      }
      return (response.files, failures)
    } catch {
      return (
        [],
        [
          Failure(
            kind: .connector, host: host.host.name, connector: instance.id, message: "\(error)",
            resources: share.resources.count)
        ]
      )
    }
  }
}
