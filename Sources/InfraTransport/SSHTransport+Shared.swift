import Foundation
import InfraCore

#if canImport(Glibc)
  import Glibc
#endif

/// Opening a master that outlives its run (`ssh_persist`), one opening at a time for a socket.
///
/// Masters opened at once for the same socket (hosts of one run that are reached the same way,
/// or two runs at once) all log in, and all but the first, finding the socket taken, go on
/// without it: connected, and never closed, neither by ControlPersist nor by `ssh -O exit`. So
/// the opening holds a lock beside the socket, in this process and across processes, and a
/// master already listening there is used as it is.
extension SSHTransport {
  func openShared() async throws {
    let folder = try Self.sharedControlFolder(for: host.name)
    let socket = "\(folder)/\(persistentSocketName)"
    let lock = try await OpeningLock.take(socket + ".lock", host: host.name)
    defer { lock.release() }
    if OpeningLock.isListening(socket) {
      controlFolder.withLock { $0 = folder }
      return
    }
    try await openMaster(in: folder)
  }
}

/// An exclusive `flock` on a file, taken on a thread of its own: a task waiting for it holds
/// none of the threads that tasks run on.
struct OpeningLock: Sendable {
  let descriptor: Int32

  static func take(_ path: String, host: String) async throws -> OpeningLock {
    let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
    guard descriptor >= 0 else {
      throw TransportError.unsupported(
        host: host,
        reason:
          "cannot create \(path): \(String(cString: strerror(errno))) (set ssh_persist: 0, or make the folder writable)"
      )
    }
    await withCheckedContinuation { continuation in
      Thread.detachNewThread {
        while flock(descriptor, LOCK_EX) != 0 && errno == EINTR {}
        continuation.resume()
      }
    }
    return OpeningLock(descriptor: descriptor)
  }

  func release() {
    _ = close(descriptor)
  }

  /// Whether a master listens on the socket at `path`: a connection to it is accepted.
  static func isListening(_ path: String) -> Bool {
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    let bytes = Array(path.utf8)
    guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return false }
    withUnsafeMutableBytes(of: &address.sun_path) { buffer in
      buffer.copyBytes(from: bytes)
    }
    let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard descriptor >= 0 else { return false }
    defer { _ = close(descriptor) }
    let connected = withUnsafePointer(to: &address) { pointer in
      pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
      }
    }
    return connected == 0
  }
}
