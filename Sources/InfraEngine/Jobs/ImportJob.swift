import Foundation
import InfraCore
import InfraTransport

/// What `infra import` found, and wrote unless it was a dry run.
package struct ImportResult: Sendable {
  /// New files, repository-relative, with their content, in path order.
  package var files: [(path: String, content: Data)] = []
  /// Files the repository has already, left as they are.
  package var existing: [String] = []
  /// What connectors found but left out, with why, by host.
  package var skipped: [(host: String, reason: String)] = []
  /// What could not be listed, with the reason.
  package var failures: [Failure] = []
  /// Why the files could not be written, when they could not.
  package var notWritten: String?
}

/// `infra import` (Autoschematic's import): writes resource files from what hosts have, to
/// adopt existing systems. Never overwrites a file the repository has.
package struct ImportJob: RunJob {
  /// The connectors to ask; all when empty.
  package var connectors: Set<ConnectorID>
  /// The hosts to ask about; all when empty.
  package var hosts: Set<String>
  /// Whether to write the files; `false` only says what would be written.
  package var write: Bool
  /// What to list, for connectors that list what they are told (paths on the host for
  /// `files`).
  package var paths: [String]

  package init(
    connectors: Set<ConnectorID> = [], hosts: Set<String> = [], write: Bool = true,
    paths: [String] = []
  ) {
    self.connectors = connectors
    self.hosts = hosts
    self.write = write
    self.paths = paths
  }

  package var kind: RunKind { .import }

  /// Each host's connectors to ask, as shares without resources: what is counted is listings.
  package func prepare(_ workspace: Workspace) -> (scope: RunScope, work: [HostShares]) {
    let work = workspace.inventory.hosts.compactMap { host -> HostShares? in
      guard hosts.isEmpty || hosts.contains(host.name) else { return nil }
      let shares = workspace.connectors.filter { instance in
        (connectors.isEmpty || connectors.contains(instance.id))
          && instance.hosts.contains { $0.name == host.name }
      }
      return shares.isEmpty
        ? nil : HostShares(host: host, shares: shares.map { Share(instance: $0, resources: []) })
    }
    let listings = work.reduce(0) { $0 + $1.shares.count }
    return (RunScope(hosts: work.map(\.host), resources: listings), work)
  }

  package func perform(_ work: [HostShares], in context: RunContext) async
    -> JobResult<ImportResult>
  {
    let byHost = Dictionary(work.map { ($0.host.name, $0) }, uniquingKeysWith: { a, _ in a })
    let cipher = AgeCipher(
      settings: context.workspace.config.secrets, repository: context.workspace.repository)
    let outcomes = await context.fleet.each(work.map(\.host)) { host in
      await host.concurrently(byHost[host.host.name]?.shares ?? []) { share in
        let instance = share.instance
        do {
          let listed = try await host.call(instance, "list", resources: 0) {
            try await instance.connector.list(
              ListRequest(host: host.host, transport: $0, paths: paths))
          }
          return (
            await Self.sealed(listed, with: cipher, host: host.host.name), listed.skipped
          )
        } catch {
          return (
            Listing.failed(
              Failure(
                kind: .connector, host: host.host.name, connector: instance.id,
                message: "\(error)", resources: 1)), [String]()
          )
        }
      }
    }
    var result = ImportResult()
    var seen: Set<String> = []
    var listed: [(host: String, address: Address, existing: Bool)] = []
    let root = context.workspace.repository.root
    var stats: [HostStats] = []
    for (hostWork, outcome) in zip(work, outcomes) {
      let host = hostWork.host.name
      var counts = HostStats(host: host)
      switch outcome {
      case .done(let listings):
        result.skipped += listings.flatMap { $0.1 }.map { (host, $0) }
        for (listing, _) in listings {
          switch listing {
          case .failed(let failure):
            result.failures.append(failure)
            counts.failed += 1
          case .files(let files):
            for (address, content) in files where seen.insert(address.repositoryPath).inserted {
              let path = address.repositoryPath
              let existing = FileManager.default.fileExists(atPath: root.appending(path: path).path)
              if existing {
                result.existing.append(path)
                counts.unchanged += 1
              } else {
                result.files.append((path, content))
                counts.changed += 1
              }
              listed.append((host, address, existing))
            }
          }
        }
        counts.ok = counts.changed + counts.unchanged
      case .unreachable(let reason):
        result.failures.append(.unreachable(host, reason, resources: hostWork.shares.count))
        counts.unreachable = hostWork.shares.count
      case .stopped:
        counts.skipped = hostWork.shares.count
      }
      stats.append(counts)
    }
    result.files.sort { $0.path < $1.path }
    result.existing.sort()
    var written: Set<String> = []
    if write {
      (written, result.notWritten) = context.workspace.repository.write(
        result.files.map { ($0.path, $0.content) })
    }
    for (host, address, existing) in listed {
      context.emit(
        .fileImported(
          host: host, address: address, path: address.repositoryPath, existing: existing,
          written: written.contains(address.repositoryPath)))
    }
    for counts in stats { context.hostDone(counts.host, counts) }
    return JobResult(
      output: result, failed: !result.failures.isEmpty || result.notWritten != nil)
  }
}

extension ImportJob {
  /// What a connector listed, with each sensitive file encrypted to infra.yaml's recipients
  /// as `<address>.age`: a secret is never written in clear. Without recipients, a sensitive
  /// file is not written, and the listing fails saying what to add.
  fileprivate static func sealed(_ listed: ListResponse, with cipher: AgeCipher, host: String)
    async -> Listing
  {
    var files: [(address: Address, content: Data)] = []
    for (address, content) in listed.files {
      guard listed.sensitive.contains(address) else {
        files.append((address, content))
        continue
      }
      SecretMask.shared.register(content: content)
      do {
        var segments = address.segments
        segments[segments.count - 1] += ".age"
        let sealed = Address(prefix: address.prefix, segments: segments)
        files.append((sealed, try await cipher.encrypt(content)))
      } catch {
        return .failed(
          Failure(
            kind: .resource, host: host, address: address,
            message:
              "it is sensitive, and is imported only encrypted: \(error.message)"
              + (error.hint.map { "; \($0)" } ?? "")
          ))
      }
    }
    return .files(files)
  }
}

/// What one connector listed on one host.
private enum Listing: Sendable {
  case files([(address: Address, content: Data)])
  case failed(Failure)
}
