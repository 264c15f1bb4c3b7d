import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Atomic file writes and plain reads with system calls, for the local transport.
struct LocalFiles {
  let host: String

  func read(_ path: String) throws -> Data {
    var info = stat()
    guard stat(path, &info) == 0 else {
      if errno == ENOENT { throw TransportError.notFound(host: host, path: path) }
      throw failure(path, "cannot read it")
    }
    guard info.st_mode & S_IFMT == S_IFREG else {
      throw TransportError.fileError(host: host, path: path, reason: "not a regular file")
    }
    let descriptor = open(path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { throw failure(path, "cannot open it") }
    let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
    do {
      return try handle.readToEnd() ?? Data()
    } catch {
      throw TransportError.fileError(host: host, path: path, reason: "cannot read it: \(error)")
    }
  }

  /// Writes into a private temporary file in the target's folder, fixes owner and mode, syncs,
  /// then renames it over the target, so readers see the old file or the new one, never half;
  /// then syncs the folder, so the rename survives a crash too.
  func write(_ content: Data, to path: String, attributes: FileAttributes) throws {
    let folder = FileCommands.parentFolder(of: path)
    var template = Array((folder == "/" ? "" : folder).utf8CString.dropLast())
    // Named after this process, so a later apply knows a leftover for its dead writer's.
    template.append(contentsOf: Array("/.infra-tmp-\(getpid())-XXXXXX".utf8CString))
    let descriptor = Descriptor.closeOnExecTemporaryFile(&template)
    guard descriptor >= 0 else { throw failure(folder, "cannot create a temporary file in it") }
    let temporary = String(
      decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    var renamed = false
    defer {
      close(descriptor)
      if !renamed { unlink(temporary) }
    }
    guard Descriptor.writeAll(descriptor, content) else { throw failure(path, "cannot write it") }
    if attributes.owner != nil || attributes.group != nil {
      let uid = try attributes.owner.map { try userID($0, for: path) } ?? uid_t.max
      let gid = try attributes.group.map { try groupID($0, for: path) } ?? gid_t.max
      guard fchown(descriptor, uid, gid) == 0 else {
        throw failure(
          path,
          "cannot set its owner to \(attributes.owner ?? "-"):\(attributes.group ?? "-")",
          hint: errno == EPERM ? "run infra as root, or set `sudo: true` on host \(host)" : nil)
      }
    }
    // After chown, which clears setuid and setgid bits.
    guard fchmod(descriptor, mode_t(attributes.mode ?? 0o644)) == 0 else {
      throw failure(path, "cannot set its mode")
    }
    guard fsync(descriptor) == 0 else { throw failure(path, "cannot sync it to disk") }
    guard rename(temporary, path) == 0 else { throw failure(path, "cannot replace it") }
    renamed = true
    // The rename is durable once the folder is synced too (where the file system can).
    let folderDescriptor = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    if folderDescriptor >= 0 {
      fsync(folderDescriptor)
      close(folderDescriptor)
    }
  }

  private func userID(_ name: String, for path: String) throws -> uid_t {
    if let id = uid_t(name) { return id }
    guard let entry = getpwnam(name) else {
      throw TransportError.fileError(
        host: host, path: path, reason: "there is no user '\(name)' on \(host)")
    }
    return entry.pointee.pw_uid
  }

  private func groupID(_ name: String, for path: String) throws -> gid_t {
    if let id = gid_t(name) { return id }
    guard let entry = getgrnam(name) else {
      throw TransportError.fileError(
        host: host, path: path, reason: "there is no group '\(name)' on \(host)")
    }
    return entry.pointee.gr_gid
  }

  private func failure(_ path: String, _ what: String, hint: String? = nil) -> TransportError {
    let reason = String(cString: strerror(errno))
    return .fileError(
      host: host, path: path, reason: "\(what): \(reason)" + (hint.map { " (\($0))" } ?? ""))
  }
}
