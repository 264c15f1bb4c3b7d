import Foundation
import Synchronization

/// Resource file contents read while loading that planning needs again: templates, rendered
/// per host, and secrets, registered with the mask. Other files are hashed and let go: a plan
/// reads again the few it diffs, so memory does not grow with the repository. Small files
/// only, up to a total; apply always reads again, to catch a file edited after the plan was
/// reviewed.
final class ContentCache: Sendable {
  /// Files larger than this are not kept.
  static let fileLimit = 1 << 20
  /// The most bytes kept in all.
  static let totalLimit = 64 << 20

  private let state = Mutex<(contents: [String: Data], bytes: Int)>(([:], 0))

  func store(_ data: Data, for path: String) {
    guard data.count <= Self.fileLimit else { return }
    state.withLock { state in
      guard state.bytes + data.count <= Self.totalLimit, state.contents[path] == nil else { return }
      state.contents[path] = data
      state.bytes += data.count
    }
  }

  func content(of path: String) -> Data? {
    state.withLock { $0.contents[path] }
  }
}

/// The temporary files that killed writers left on each host, found while reading, so that the
/// plan names those the apply will remove.
final class StrayFiles: Sendable {
  private let state = Mutex<[String: Set<String>]>([:])

  func add(_ paths: [String], on host: String) {
    guard !paths.isEmpty else { return }
    state.withLock { $0[host, default: []].formUnion(paths) }
  }

  /// By folder.
  func found(on host: String) -> [String: [String]] {
    let paths = state.withLock { $0[host] ?? [] }
    return Dictionary(grouping: paths.sorted(), by: FilesPlanner.folder(of:))
  }
}

/// What the read found about each host beyond the files' state: the folders a file stands in
/// the way of, and the owners and groups it does not have, for the plan to fail those files
/// rather than the apply.
final class HostFindings: Sendable {
  struct Findings: Sendable {
    var blockedByFile: [String: String] = [:]
    var missingUsers: Set<String> = []
    var missingGroups: Set<String> = []
  }

  private let state = Mutex<[String: Findings]>([:])

  func set(_ findings: Findings, on host: String) {
    state.withLock { $0[host] = findings }
  }

  func found(on host: String) -> Findings {
    state.withLock { $0[host] ?? Findings() }
  }
}

/// The paths the repository declares for each host, as loaded, and whether by a file of the
/// host's own folder: import leaves out what a group declares for the host.
final class DeclaredFiles: Sendable {
  private let state = Mutex<[String: [String: Bool]]>([:])

  func add(_ path: String, on host: String, byHostFile: Bool) {
    state.withLock { $0[host, default: [:]][path] = byHostFile }
  }

  /// Whether each declared path is declared by the host's own file.
  func paths(of host: String) -> [String: Bool] {
    state.withLock { $0[host] ?? [:] }
  }
}
