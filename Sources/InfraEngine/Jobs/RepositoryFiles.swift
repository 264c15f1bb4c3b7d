import Foundation
import InfraCore

extension Repository {
  /// Writes each file atomically, creating its folders, or removes it when its content is
  /// `nil` (a pull of a resource the host no longer has); `nil`, or why one could not be.
  func write(_ files: [(path: String, content: Data?)]) -> String? {
    for (path, content) in files {
      let url = root.appending(path: path)
      do {
        if let content {
          try FileManager.default.createDirectory(
            at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
          try content.write(to: url, options: .atomic)
        } else {
          try FileManager.default.removeItem(at: url)
        }
      } catch {
        return "cannot write \(path): \(error.localizedDescription)"
      }
    }
    return nil
  }
}
