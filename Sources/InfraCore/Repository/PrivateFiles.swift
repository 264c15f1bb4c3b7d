import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// infra's own files are private to the user running it: `.infra/`, run folders and saved plans
/// can hold what a plan showed, so no other local user may read them (folders 0700, files 0600),
/// whatever the umask.
public enum PrivateFiles {
  /// The mode of infra's own folders.
  public static let folderMode: mode_t = 0o700
  /// The mode of infra's own files.
  public static let fileMode: mode_t = 0o600

  /// Creates `url` (and missing parents, each private) or, when it is there, makes it private.
  public static func makeFolder(_ url: URL) throws {
    if mkdir(url.path, folderMode) != 0 {
      guard errno == EEXIST else {
        if errno == ENOENT {
          try makeFolder(url.deletingLastPathComponent())
          return try makeFolder(url)
        }
        throw failure(url)
      }
    }
    guard chmod(url.path, folderMode) == 0 else { throw failure(url) }
  }

  /// Opens `url` for appending, created private when missing.
  public static func appending(_ url: URL) throws -> FileHandle {
    let descriptor = open(url.path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, fileMode)
    guard descriptor >= 0 else { throw failure(url) }
    fchmod(descriptor, fileMode)
    return FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
  }

  /// Opens `url` for writing from its start, created private (or made private) and emptied.
  public static func truncating(_ url: URL) throws -> FileHandle {
    let descriptor = open(url.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, fileMode)
    guard descriptor >= 0 else { throw failure(url) }
    fchmod(descriptor, fileMode)
    return FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
  }

  /// Writes a private temporary file beside `url` through `write`, then renames it over `url`:
  /// a reader sees the old file or the whole new one.
  public static func replace(_ url: URL, write: (FileHandle) throws -> Void) throws {
    let temporary = url.deletingLastPathComponent().appending(
      path: ".\(url.lastPathComponent).\(getpid()).tmp")
    let handle = try truncating(temporary)
    do {
      try write(handle)
      try handle.close()
    } catch {
      try? handle.close()
      unlink(temporary.path)
      throw error
    }
    guard rename(temporary.path, url.path) == 0 else {
      let error = failure(url)
      unlink(temporary.path)
      throw error
    }
  }

  /// Replaces `url` with `data`, privately.
  public static func replace(_ url: URL, with data: Data) throws {
    try replace(url) { try $0.write(contentsOf: data) }
  }

  private static func failure(_ url: URL) -> CocoaError {
    let reason = String(cString: strerror(errno))
    return CocoaError(
      .fileWriteUnknown,
      userInfo: [NSFilePathErrorKey: url.path, NSLocalizedDescriptionKey: "\(url.path): \(reason)"])
  }
}
