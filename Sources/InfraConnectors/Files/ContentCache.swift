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
