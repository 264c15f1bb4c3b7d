import Foundation
import Synchronization

/// Resource file contents read while loading, kept for planning so no file is read twice.
/// Small files only, up to a total, so a repository of large files cannot fill memory; apply
/// always reads again, to catch a file edited after the plan was reviewed.
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
