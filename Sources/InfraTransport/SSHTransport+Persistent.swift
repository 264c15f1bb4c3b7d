import Foundation
import InfraCore

#if canImport(Glibc)
  import Glibc
#endif

/// Masters that outlive their run (`ssh_persist`): where their sockets are, what they are
/// named, and closing them for `infra disconnect`.
extension SSHTransport {
  /// The name of the persistent master's socket: a digest of the program, the destination and
  /// every argument that decides how the host is reached.
  var persistentSocketName: String {
    let words = connectionArguments + [address, program]
    return String(SHA256Hex.of(Data(words.joined(separator: "\u{0}").utf8)).prefix(32))
  }

  /// Closes the master a run left open for the next (`infra disconnect`), whatever
  /// `ssh_persist` says now; whether there was one.
  package func closePersistentMaster() async -> Bool {
    guard let folder = try? Self.sharedControlFolder(for: host.name) else { return false }
    let socket = "\(folder)/\(persistentSocketName)"
    guard FileManager.default.fileExists(atPath: socket) else { return false }
    let result = try? await runner.run(
      [program, "-o", "ControlPath=\(socket)", "-O", "exit", "--", address], input: nil,
      timeout: .seconds(10), host: host.name,
      display: ShellCommand("ssh", "-O", "exit", destination))
    return result?.succeeded ?? false
  }

  /// The private (0700) folder of this user's persistent masters: in `$XDG_RUNTIME_DIR` when
  /// there is one, else `/tmp/infra-ssh-UID`. A folder there that is not this user's own and
  /// private, or is a link, is refused rather than trusted.
  static func sharedControlFolder(for host: String) throws -> String {
    // A socket's path has room for 107 bytes: its name and ssh's temporary suffix take 50.
    let runtime = ProcessInfo.processInfo.environment["XDG_RUNTIME_DIR"].flatMap {
      $0.hasPrefix("/") && $0.utf8.count < 40 ? $0 : nil
    }
    let folder = runtime.map { "\($0)/infra-ssh" } ?? "/tmp/infra-ssh-\(geteuid())"
    if mkdir(folder, 0o700) != 0 && errno != EEXIST {
      throw TransportError.unsupported(
        host: host, reason: "cannot create \(folder): \(String(cString: strerror(errno)))")
    }
    var info = stat()
    guard lstat(folder, &info) == 0, info.st_mode & S_IFMT == S_IFDIR, info.st_uid == geteuid(),
      info.st_mode & 0o077 == 0
    else {
      throw TransportError.unsupported(
        host: host,
        reason:
          "\(folder) is not a private folder of this user's (set ssh_persist: 0, or remove it)")
    }
    return folder
  }
}
