import Crypto
import Foundation
import InfraCore
import InfraTransport

/// A plan kept in a file by `infra plan --out`, to be applied later exactly as it was reviewed
/// (Terraform's saved plan): the plan in the JSON of `infra plan --json` (its changes with their
/// payloads and the fingerprint of the live state each was planned against), where the
/// repository was, and a digest of every repository file it depends on.
public struct SavedPlan: Sendable {
  /// The `format` a saved plan file declares; files with any other are refused.
  public static let formatName = "infra-saved-plan"
  /// 4 since repository files are kept as keyed digests and sensitive changes without their
  /// payload; 3 since the file carries a digest of itself; 2 since the plan is kept in the
  /// `infra plan --json` shape. Files of other versions are refused.
  public static let currentVersion = 4

  /// The largest saved plan infra reads: far more than the changes of any repository, whose
  /// contents stay in their files.
  public static let maxBytes = 256 << 20

  /// The id of the run that made the plan.
  public var runID: String
  /// When the plan was made, RFC 3339 in UTC.
  public var createdAt: String
  /// Which commit the repository was at, whether it was dirty, and the change set's base.
  public var repository: RepositoryState
  /// `infra.yaml` and every resource file the changes come from, as they were.
  public var files: [FileDigest]
  /// The random key of the files' digests, in hex: a digest of a file marked sensitive is then
  /// no plain SHA-256 of it that could be looked up.
  public var salt: String
  /// The changes, the unchanged resources, and the warnings from loading.
  public var plan: Plan

  /// Where the repository was when the plan was made.
  public struct RepositoryState: Hashable, Sendable, Codable {
    /// The commit checked out; `nil` outside git or before the first commit.
    public var commit: String?
    /// Whether the work tree had changes not committed.
    public var dirty: Bool
    /// The change set's base, when git was there: what deletions were planned against.
    public var base: String?
    /// The commit the base resolved to: what applying the plan compares the repository with.
    public var baseCommit: String?
    /// Whether only the change set was planned (`--changed`).
    public var changedOnly: Bool
    /// The hosts and groups `--limit` named, when the plan was limited to them.
    public var limit: [String]?

    /// The state from its parts, as `infra plan --out` records it.
    public init(
      commit: String?, dirty: Bool, base: String?, baseCommit: String?, changedOnly: Bool,
      limit: [String]? = nil
    ) {
      self.commit = commit
      self.dirty = dirty
      self.base = base
      self.baseCommit = baseCommit
      self.changedOnly = changedOnly
      self.limit = limit
    }

    enum CodingKeys: String, CodingKey {
      case commit, dirty, base, limit
      case baseCommit = "base_commit"
      case changedOnly = "changed_only"
    }
  }

  /// A repository file and the HMAC-SHA256 of its content under the plan's salt; `nil` when it
  /// did not exist.
  public struct FileDigest: Hashable, Sendable, Codable {
    /// The file, relative to the repository root.
    public var path: String
    /// The keyed digest of its content in lower-case hex; `nil` when the file did not exist.
    public var digest: String?

    /// A file's digest, as the plan records it.
    public init(path: String, digest: String?) {
      self.path = path
      self.digest = digest
    }
  }

  /// Saves `plan` of the repository at `root`: its changes and unchanged resources, and the
  /// warnings of loading.
  public init(
    plan: Plan, runID: String, root: Repository, repository: RepositoryState,
    createdAt: Date = Date()
  ) {
    self.runID = runID
    self.createdAt = RunEventRecord.timestamp(createdAt)
    self.repository = repository
    let salt = (0..<32).map { _ in UInt8.random(in: 0...255) }.hexString
    self.salt = salt
    let paths = Set(plan.changes.flatMap(\.sources)).union([Repository.configFileName])
    files = paths.sorted().map { path in
      FileDigest(path: path, digest: Self.digest(path, in: root, salt: salt))
    }
    self.plan = Plan(
      changes: plan.changes, unchanged: plan.unchanged, diagnostics: plan.diagnostics)
  }

  /// The file as it is written: the plan's own JSON document inside, every key snake_case.
  struct File: Codable {
    var format: String
    var version: Int
    var runID: String
    var createdAt: String
    var repository: RepositoryState
    var files: [FileDigest]
    var salt: String
    var plan: PlanDocument

    enum CodingKeys: String, CodingKey {
      case format, version, repository, files, salt, plan
      case runID = "run_id"
      case createdAt = "created_at"
    }
  }

  /// The file's bytes: sorted keys, so the same plan always saves the same way, and the digest
  /// of the rest as its first key.
  public func encoded() throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    let file = File(
      format: Self.formatName, version: Self.currentVersion, runID: runID, createdAt: createdAt,
      repository: repository, files: files, salt: salt, plan: PlanDocument(plan))
    let body = try encoder.encode(file)
    // Sensitive changes keep their secrets out by construction; a secret found anyway (a
    // connector put a registered value in a payload it did not mark sensitive) stops the save.
    if SecretMask.shared.reveals(String(decoding: body, as: UTF8.self)) {
      throw SavedPlanError(
        message:
          "the plan holds a value registered as secret outside a sensitive change, so it is not saved",
        hint: "have the connector mark that resource or op sensitive")
    }
    return Self.sealed(body)
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
        hint: "save one with `infra plan --out FILE`", isOtherFile: true)
    }
    guard header.version == currentVersion else {
      throw SavedPlanError(
        message:
          "it is a saved plan of version \(header.version.map(String.init) ?? "?"), and this infra reads version \(currentVersion)",
        hint: "plan again with this version of infra")
    }
    guard isIntact(data) else {
      throw SavedPlanError(
        message:
          "its digest does not match its content: it was changed after `infra plan --out` saved it",
        hint: "plan again; a saved plan is applied only exactly as it was saved")
    }
    do {
      let file = try JSONDecoder().decode(File.self, from: data)
      // Sealed by anyone (the digest is no signature), a plan may name any path: only files
      // of the repository are read.
      if let outside = file.files.first(where: { !isRepositoryPath($0.path) }) {
        throw SavedPlanError(
          message:
            "it names \(JSONValue.string(outside.path.clipped(to: 200)).serialized) among its files, which is not a path in the repository",
          hint: "plan again with `infra plan --out FILE`")
      }
      return SavedPlan(
        runID: file.runID, createdAt: file.createdAt, repository: file.repository,
        files: file.files, salt: file.salt, plan: try file.plan.plan())
    } catch let error as SavedPlanError {
      throw error
    } catch {
      throw SavedPlanError(
        message: "it is damaged: \(error)", hint: "plan again with `infra plan --out FILE`")
    }
  }

  private init(
    runID: String, createdAt: String, repository: RepositoryState, files: [FileDigest],
    salt: String, plan: Plan
  ) {
    self.runID = runID
    self.createdAt = createdAt
    self.repository = repository
    self.files = files
    self.salt = salt
    self.plan = plan
  }

  /// The files whose content differs now from when the plan was made.
  public func movedFiles(in repository: Repository) -> [String] {
    files.filter { Self.digest($0.path, in: repository, salt: salt) != $0.digest }.map(\.path)
  }

  /// Whether `path` names a file below the repository's root: relative, without `.` or `..`
  /// parts.
  static func isRepositoryPath(_ path: String) -> Bool {
    let parts = path.split(separator: "/", omittingEmptySubsequences: false)
    return !path.isEmpty && !parts.contains { $0.isEmpty || $0 == "." || $0 == ".." }
  }

  /// The HMAC-SHA256 under `salt` of the repository file at `path`, read a MiB at a time;
  /// `nil` when there is no such regular file in the repository (a path that a plan file names
  /// is not trusted to stay in it).
  static func digest(_ path: String, in repository: Repository, salt: String) -> String? {
    let url = repository.root.appending(path: path)
    var info = stat()
    guard repository.contains(url), stat(url.path, &info) == 0, info.st_mode & S_IFMT == S_IFREG,
      let handle = try? FileHandle(forReadingFrom: url)
    else { return nil }
    defer { try? handle.close() }
    var hasher = HMAC<SHA256>(key: SymmetricKey(data: Data(salt.utf8)))
    while let chunk = try? handle.read(upToCount: 1 << 20), !chunk.isEmpty {
      hasher.update(data: chunk)
    }
    return hasher.finalize().hexString
  }
}

/// A saved plan that cannot be read.
public struct SavedPlanError: Error, Hashable, Sendable, CustomStringConvertible {
  /// What is wrong with the file, worded to follow `cannot apply FILE:`.
  public var message: String
  /// What to do about it, e.g. plan again.
  public var hint: String?
  /// Whether the file is not a saved plan at all (rather than one of another version, or
  /// damaged).
  public var isOtherFile = false

  public var description: String { message }
}
