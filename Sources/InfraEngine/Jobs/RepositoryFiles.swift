import Foundation
import InfraCore

extension Repository {
  /// Writes each file atomically, creating its folders, or removes it when its content is
  /// `nil` (a pull of a resource the host no longer has; one already gone is fine). Stops at
  /// the first that cannot be written: the paths written until then, and why, if one could
  /// not be.
  func write(_ files: [(path: String, content: Data?)]) -> (written: Set<String>, error: String?) {
    var written: Set<String> = []
    for (path, content) in files {
      let url = root.appending(path: path)
      do {
        if let content {
          try FileManager.default.createDirectory(
            at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
          try content.write(to: url, options: .atomic)
        } else if FileManager.default.fileExists(atPath: url.path) {
          try FileManager.default.removeItem(at: url)
        }
        written.insert(path)
      } catch {
        return (written, "cannot write \(path): \(error.localizedDescription)")
      }
    }
    return (written, nil)
  }
}
