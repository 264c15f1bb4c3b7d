import Foundation
import InfraTransport

/// A fresh folder under the system's temporary folder, removed when the value is released.
package final class TemporaryFolder: Sendable {
  package let url: URL

  package init(_ label: String = "test") throws {
    let base = FileManager.default.temporaryDirectory
    url =
      base.appending(path: "infra-\(label)-\(UUID().uuidString.prefix(8))")
      .standardizedFileURL
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  }

  deinit {
    // Folders a test made read-only must become writable again to be removed.
    _ = try? ChildProcess.run("/bin/chmod", ["-R", "u+rwx", url.path])
    try? FileManager.default.removeItem(at: url)
    // A tree deeper than PATH_MAX is beyond Foundation; rm walks it a folder at a time.
    if FileManager.default.fileExists(atPath: url.path) {
      _ = try? ChildProcess.run("/bin/rm", ["-rf", url.path])
    }
  }

  package var path: String { url.path }

  package func appending(_ relative: String) -> URL {
    url.appending(path: relative)
  }

  /// Writes `content` at `relative`, creating parent folders.
  @discardableResult
  package func write(_ relative: String, _ content: String) throws -> URL {
    try write(relative, data: Data(content.utf8))
  }

  @discardableResult
  package func write(_ relative: String, data: Data) throws -> URL {
    let file = url.appending(path: relative)
    try FileManager.default.createDirectory(
      at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
    try data.write(to: file)
    return file
  }

  package func read(_ relative: String) throws -> Data {
    try Data(contentsOf: url.appending(path: relative))
  }

  package func readText(_ relative: String) throws -> String {
    String(decoding: try read(relative), as: UTF8.self)
  }

  package func exists(_ relative: String) -> Bool {
    var info = stat()
    return lstat(url.appending(path: relative).path, &info) == 0
  }

  /// The permission bits of a file, e.g. `0o644`.
  package func mode(_ relative: String) throws -> UInt32 {
    var info = stat()
    guard stat(url.appending(path: relative).path, &info) == 0 else {
      throw CocoaError(.fileNoSuchFile)
    }
    return UInt32(info.st_mode) & 0o7777
  }

  package func setMode(_ relative: String, _ mode: UInt32) throws {
    guard chmod(url.appending(path: relative).path, mode_t(mode)) == 0 else {
      throw CocoaError(.fileWriteNoPermission)
    }
  }

  /// Every file below the folder (not folders), relative, sorted.
  package func files() -> [String] {
    let enumerator = FileManager.default.enumerator(atPath: url.path)
    var result: [String] = []
    while let entry = enumerator?.nextObject() as? String {
      var isDirectory: ObjCBool = false
      _ = FileManager.default.fileExists(
        atPath: url.appending(path: entry).path, isDirectory: &isDirectory)
      if !isDirectory.boolValue { result.append(entry) }
    }
    return result.sorted()
  }
}
