import Crypto
import Foundation
import InfraCore
import InfraTransport

/// A plan kept in a file by `infra plan --out`, to be applied later exactly as it was reviewed
/// (Terraform's saved plan): its changes with their payloads, the fingerprint of the live state
/// each was planned against, and a digest of every repository file it depends on.
public struct SavedPlan: Sendable, Codable {
  public static let formatName = "infra-saved-plan"
  public static let currentVersion = 1

  public var format: String
  public var version: Int
  public var runID: String
  /// When the plan was made, RFC 3339 in UTC.
  public var createdAt: String
  public var repository: RepositoryState
  /// `infra.yaml` and every resource file the changes come from, as they were.
  public var files: [FileDigest]
  public var changes: [Change]
  public var unchanged: [ResourceRef]
  /// Warnings from loading, kept so that every view shows them.
  public var warnings: [String]

  /// Where the repository was when the plan was made.
  public struct RepositoryState: Hashable, Sendable, Codable {
    /// The commit checked out; `nil` outside git or before the first commit.
    public var commit: String?
    /// Whether the work tree had changes not committed.
    public var dirty: Bool
    /// The change set's base, when git was there: what deletions were planned against.
    public var base: String?
    public var baseCommit: String?
    /// Whether only the change set was planned (`--changed`).
    public var changedOnly: Bool

    public init(
      commit: String?, dirty: Bool, base: String?, baseCommit: String?, changedOnly: Bool
    ) {
      self.commit = commit
      self.dirty = dirty
      self.base = base
      self.baseCommit = baseCommit
      self.changedOnly = changedOnly
    }
  }

  /// A repository file and the SHA-256 of its content; `nil` when it did not exist.
  public struct FileDigest: Hashable, Sendable, Codable {
    public var path: String
    public var sha256: String?

    public init(path: String, sha256: String?) {
      self.path = path
      self.sha256 = sha256
    }
  }

  /// Saves `plan` of the repository at `root`.
  public init(
    plan: Plan, runID: String, root: Repository, repository: RepositoryState,
    createdAt: Date = Date()
  ) {
    format = Self.formatName
    version = Self.currentVersion
    self.runID = runID
    self.createdAt = RunEventRecord.timestamp(createdAt)
    self.repository = repository
    let paths = Set(plan.changes.flatMap(\.sources)).union([Repository.configFileName])
    files = paths.sorted().map { path in
      FileDigest(path: path, sha256: Self.digest(root.root.appending(path: path)))
    }
    changes = plan.changes
    unchanged = plan.unchanged
    warnings = plan.diagnostics.map(\.description)
  }

  /// The plan as the engine's model, for rendering and applying.
  public var plan: Plan {
    Plan(changes: changes, unchanged: unchanged)
  }

  /// The file's bytes: sorted keys, so the same plan always saves the same way.
  public func encoded() throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    return try encoder.encode(self) + Data("\n".utf8)
  }

  /// Reads a saved plan; the error says what is wrong with the file.
  public static func decode(_ data: Data) throws -> SavedPlan {
    struct Header: Decodable {
      var format: String?
      var version: Int?
    }
    guard let header = try? JSONDecoder().decode(Header.self, from: data),
      header.format == formatName
    else {
      throw SavedPlanError(
        message: "it is not a plan saved by `infra plan --out`",
        hint: "save one with `infra plan --out FILE`")
    }
    guard header.version == currentVersion else {
      throw SavedPlanError(
        message:
          "it is a saved plan of version \(header.version.map(String.init) ?? "?"), and this infra reads version \(currentVersion)",
        hint: "plan again with this version of infra")
    }
    do {
      return try JSONDecoder().decode(SavedPlan.self, from: data)
    } catch {
      throw SavedPlanError(
        message: "it is damaged: \(error)", hint: "plan again with `infra plan --out FILE`")
    }
  }

  /// The files whose content differs now from when the plan was made.
  public func movedFiles(in repository: Repository) -> [String] {
    files.filter { Self.digest(repository.root.appending(path: $0.path)) != $0.sha256 }.map(\.path)
  }

  static func digest(_ url: URL) -> String? {
    guard let data = try? Data(contentsOf: url) else { return nil }
    return SHA256.hash(data: data).hexString
  }
}

/// A saved plan that cannot be read.
public struct SavedPlanError: Error, Hashable, Sendable, CustomStringConvertible {
  public var message: String
  public var hint: String?

  public var description: String { message }
}

/// Checks a saved plan against the repository and the hosts before it is applied: the files it
/// depends on must be unchanged, and every resource it changes must still be what it was
/// planned against (re-read now, in the same batches as a plan). Any difference makes the
/// plan stale, and a stale plan is not applied at all.
struct SavedPlanCheck: Sendable {
  var saved: SavedPlan
  var workspace: Workspace
  var connections: HostConnections
  var roundTrips: RoundTripCounter?
  var parallelism = 10

  func verify() async -> Plan {
    var plan = saved.plan
    plan.diagnostics = workspace.diagnostics.all
    let moved = Set(saved.movedFiles(in: workspace.repository))
    var toRead: [Change] = []
    for change in saved.changes {
      let changedFiles = ([Repository.configFileName] + change.sources).filter(moved.contains)
      if changedFiles.isEmpty {
        toRead.append(change)
      } else {
        plan.failures.append(
          stale(
            change,
            "\(changedFiles.joined(separator: ", ")) changed since the plan was saved"))
      }
    }
    let instances = Dictionary(
      workspace.connectors.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
    var declared: [ResourceRef: Resource] = [:]
    for instance in workspace.connectors {
      for resource in instance.resources {
        let ref = ResourceRef(
          connectorID: instance.id, address: resource.address, host: resource.host)
        declared[ref] = resource
      }
    }
    var work: [String: [String: [(Change, Resource)]]] = [:]
    for change in toRead {
      let ref = ResourceRef(
        connectorID: change.connectorID, address: change.address, host: change.host)
      guard let resource = declared[ref] else {
        plan.failures.append(stale(change, "the repository no longer declares it"))
        continue
      }
      work[change.host, default: [:]][change.connectorID, default: []].append((change, resource))
    }
    let hosts = workspace.inventory.hosts.filter { work[$0.name] != nil }
    let shares = work
    let results = await forEachConcurrently(hosts, limit: parallelism) { host in
      await check(host, shares[host.name] ?? [:], instances: instances)
    }
    plan.failures += results.joined()
    return plan
  }

  private func check(
    _ host: InventoryHost, _ byConnector: [String: [(Change, Resource)]],
    instances: [String: ConnectorInstance]
  ) async -> [Failure] {
    let transport: any Transport
    do {
      transport = try await connections.transport(for: host)
    } catch {
      let count = byConnector.values.reduce(0) { $0 + $1.count }
      return [
        Failure(
          kind: .unreachable, host: host.name, message: unreachableReason(error), resources: count)
      ]
    }
    var failures: [Failure] = []
    for (id, items) in byConnector.sorted(by: { $0.key < $1.key }) {
      guard let instance = instances[id] else { continue }
      do {
        let read = try await instance.connector.read(
          ReadRequest(
            host: host, transport: instance.transport(transport, for: host, counter: roundTrips),
            resources: items.map(\.1)))
        for (change, resource) in items
        where read.states[resource.address]?.fingerprint != change.liveFingerprint {
          failures.append(stale(change, "it changed on \(host.name) since the plan was saved"))
        }
      } catch {
        failures.append(
          Failure(
            kind: .connector, host: host.name, connectorID: id, message: reasonText(error),
            resources: items.count))
      }
    }
    return failures
  }

  private func stale(_ change: Change, _ why: String) -> Failure {
    Failure(
      kind: .stale, host: change.host, connectorID: change.connectorID, address: change.address,
      message: "the saved plan is stale: \(why)")
  }
}

extension Digest {
  /// Lower-case hex, as `sha256sum` prints it.
  public var hexString: String {
    let digits = Array("0123456789abcdef".utf8)
    var bytes: [UInt8] = []
    bytes.reserveCapacity(Self.byteCount * 2)
    for byte in self {
      bytes.append(digits[Int(byte >> 4)])
      bytes.append(digits[Int(byte & 0x0F)])
    }
    return String(decoding: bytes, as: UTF8.self)
  }
}
