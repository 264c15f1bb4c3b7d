import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Reads a whole file that infra parses (infra.yaml, `.infra-attrs.yaml`, a saved plan) up to a
/// size, with errors that say what is wrong in words: a folder, a missing file or a file that
/// may not be read, rather than Foundation's "The operation could not be completed".
package enum BoundedRead {
  /// The bytes of the file at `url`, or why they cannot be read: `path` is the file as the
  /// user named it, and a file larger than `limit` bytes is refused before it is read.
  package static func contents(of url: URL, path: String, limit: Int) -> Result<Data, Diagnostic> {
    let at = SourceLocation(file: path)
    // Not blocking: opening a FIFO that no one writes to would wait for ever.
    let descriptor = open(url.path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
    guard descriptor >= 0 else {
      let code = errno
      if code == ENOENT { return .failure(missing(url, path: path)) }
      return .failure(openFailure(code, at: at))
    }
    defer { close(descriptor) }
    var status = stat()
    guard fstat(descriptor, &status) == 0 else { return .failure(readFailure(errno, at: at)) }
    if (status.st_mode & S_IFMT) == S_IFDIR {
      return .failure(
        .error("it is a folder, not a file", at: at, hint: "name the file inside it"))
    }
    guard (status.st_mode & S_IFMT) == S_IFREG else {
      return .failure(
        .error(
          "it is not a regular file (a device, a pipe or a socket)", at: at,
          hint: "name a file"))
    }
    if Int(status.st_size) > limit {
      return .failure(tooLarge(Int(status.st_size), limit: limit, at: at))
    }
    var data = Data()
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
      let count = read(descriptor, &chunk, chunk.count)
      if count < 0 && errno == EINTR { continue }
      if count < 0 { return .failure(readFailure(errno, at: at)) }
      if count == 0 { return .success(data) }
      data.append(contentsOf: chunk[0..<count])
      // A file that grows while it is read is held to the same limit.
      if data.count > limit { return .failure(tooLarge(data.count, limit: limit, at: at)) }
    }
  }

  /// A missing file, with the closest name in its folder when there is one: a typo of a
  /// plan's name gets a did-you-mean.
  /// Why a file could not be read, in the words a person needs: Foundation's error for a
  /// permission problem says neither "permission" nor what to check.
  package static func reason(_ error: any Error) -> String {
    let error = error as NSError
    if error.domain == NSCocoaErrorDomain {
      switch error.code {
      case CocoaError.fileReadNoPermission.rawValue, CocoaError.fileWriteNoPermission.rawValue:
        return "permission denied (check its permissions and owner)"
      case CocoaError.fileReadNoSuchFile.rawValue, CocoaError.fileNoSuchFile.rawValue:
        return "there is no such file"
      default: break
      }
    }
    let posix =
      error.domain == NSPOSIXErrorDomain
      ? error : error.userInfo[NSUnderlyingErrorKey] as? NSError
    guard let posix, posix.domain == NSPOSIXErrorDomain else { return error.localizedDescription }
    switch Int32(posix.code) {
    case EACCES, EPERM: return "permission denied (check its permissions and owner)"
    case ENOENT: return "there is no such file"
    default: return String(cString: strerror(Int32(posix.code)))
    }
  }

  private static func missing(_ url: URL, path: String) -> Diagnostic {
    let name = url.lastPathComponent
    let names = DirectoryListing(url.deletingLastPathComponent()).names
    var hint = "check the path"
    if let match = closestMatch(to: name, in: names), match != name {
      let shown = path.hasSuffix(name) ? String(path.dropLast(name.count)) + match : match
      hint = "did you mean '\(shown)'?"
    }
    return .error("there is no such file", at: SourceLocation(file: path), hint: hint)
  }

  private static func openFailure(_ code: Int32, at: SourceLocation) -> Diagnostic {
    switch code {
    case EACCES, EPERM:
      return .error(
        "infra may not read it (permission denied)", at: at,
        hint: "check the file's permissions and owner")
    case ENOTDIR:
      return .error(
        "a part of its path is a file, not a folder", at: at, hint: "check the path")
    default:
      return readFailure(code, at: at)
    }
  }

  private static func readFailure(_ code: Int32, at: SourceLocation) -> Diagnostic {
    .error("cannot read it: \(String(cString: strerror(code)))", at: at)
  }

  private static func tooLarge(_ size: Int, limit: Int, at: SourceLocation) -> Diagnostic {
    .error(
      "it is \(size.grouped) bytes or more, larger than the \(limit.grouped) bytes infra reads",
      at: at, hint: "check that this is the right file")
  }
}
