import Foundation
import InfraCore
import InfraTransport

#if canImport(Glibc)
  import Glibc
#endif

/// `infra secrets`: resource files encrypted with age, made and edited without their clear text
/// ever resting in the repository (as `ansible-vault encrypt` and `edit` do).
package struct SecretFiles: Sendable {
  package var cipher: AgeCipher

  /// The largest file encrypted or edited: secrets are small, and each is held in memory.
  static let maxBytes = 64 << 20

  package init(cipher: AgeCipher) {
    self.cipher = cipher
  }

  /// What `encrypt` did.
  package struct Encrypted: Sendable {
    /// The new `.age` file.
    package var file: URL
    /// Whether git tracks the clear file: its content stays in the history, so the secret
    /// should be changed.
    package var wasTracked: Bool
  }

  /// Encrypts `url` to `url.age` with the recipients of infra.yaml, then overwrites and removes
  /// the clear file.
  package func encrypt(_ url: URL) async throws(AgeCipher.Failure) -> Encrypted {
    let shown = cipher.repository.relativePath(of: url)
    guard !AgeCipher.isEncrypted(url.lastPathComponent) else {
      throw AgeCipher.Failure(
        message: "\(shown) is encrypted already", hint: "edit it with `infra secrets edit \(shown)`"
      )
    }
    let sealed = url.appendingPathExtension("age")
    guard !FileManager.default.fileExists(atPath: sealed.path) else {
      throw AgeCipher.Failure(
        message: "\(shown).age exists already", hint: "remove one of the two files first")
    }
    let content: Data
    switch BoundedRead.contents(of: url, path: shown, limit: Self.maxBytes) {
    case .success(let read): content = read
    case .failure(let problem):
      throw AgeCipher.Failure(message: problem.message, hint: problem.hint)
    }
    SecretMask.shared.register(content: content)
    let encrypted = try await cipher.encrypt(content)
    do {
      try encrypted.write(to: sealed, options: .withoutOverwriting)
    } catch {
      throw AgeCipher.Failure(
        message: "cannot write \(shown).age: \(error.localizedDescription)",
        hint: "check that the folder is writable")
    }
    let tracked = await isTracked(url)
    Self.shred(url)
    return Encrypted(file: sealed, wasTracked: tracked)
  }

  /// How `edit` ended.
  package enum Edited: Sendable {
    case changed
    case unchanged
  }

  /// Decrypts `url` into a private temporary file (in memory when `/dev/shm` is there), runs
  /// `editor` on it in this terminal, re-encrypts it to the recipients of infra.yaml when it
  /// changed, and overwrites and removes every file of the temporary folder, however the editor
  /// ended.
  package func edit(_ url: URL, editor: String) async throws(AgeCipher.Failure) -> Edited {
    let shown = cipher.repository.relativePath(of: url)
    guard AgeCipher.isEncrypted(url.lastPathComponent) else {
      throw AgeCipher.Failure(
        message: "\(shown) is not an age file", hint: "encrypt it with `infra secrets encrypt`")
    }
    // Encrypted again to infra.yaml's recipients, which must be the file's own: an edit never
    // quietly takes a reader away, or adds one.
    let recipients = cipher.settings.recipients.count
    if let sealed = FileManager.default.contents(atPath: url.path),
      let count = AgeCipher.recipientCount(of: sealed), count != recipients
    {
      throw AgeCipher.Failure(
        message:
          "\(shown) is encrypted to \(count == 1 ? "1 recipient" : "\(count) recipients"), and infra.yaml names \(recipients)",
        hint:
          "list every recipient of the file under `secrets: { recipients: ... }`, or encrypt it again for those with `infra secrets encrypt`"
      )
    }
    let clear = try await cipher.decrypt(url)
    SecretMask.shared.register(content: clear)
    let folder = try Self.privateFolder()
    defer { Self.shredFolder(folder) }
    let file = folder.appending(path: AgeCipher.clearName(url.lastPathComponent))
    do {
      try PrivateFiles.replace(file, with: clear)
    } catch {
      throw AgeCipher.Failure(message: "cannot write the temporary file: \(error)")
    }
    let status = Self.runEditor(editor, on: file)
    guard status == 0 else {
      throw AgeCipher.Failure(
        message: "the editor (\(editor)) exited with \(status); \(shown) is unchanged",
        hint: "set EDITOR to an editor that waits until the file is closed (e.g. `code --wait`)")
    }
    guard let edited = FileManager.default.contents(atPath: file.path) else {
      throw AgeCipher.Failure(message: "the edited file is gone; \(shown) is unchanged")
    }
    // Unchanged text is not encrypted again: age would make other bytes, and a diff in git.
    guard edited != clear else { return .unchanged }
    SecretMask.shared.register(content: edited)
    let encrypted = try await cipher.encrypt(edited)
    do {
      try encrypted.write(to: url, options: .atomic)
    } catch {
      throw AgeCipher.Failure(message: "cannot write \(shown): \(error.localizedDescription)")
    }
    return .changed
  }

  /// The editor, through `sh` so that `EDITOR="code --wait"` works as git has it, in infra's
  /// session and terminal; infra ignores Ctrl-C meanwhile, so that it is there to clean up.
  private static func runEditor(_ editor: String, on file: URL) -> Int32 {
    let previous = signal(SIGINT, SIG_IGN)
    defer { signal(SIGINT, previous) }
    do {
      let process = try ChildProcess(
        ["/bin/sh", "-c", editor + #" "$1""#, "sh", file.path], stdin: .inherited,
        stdout: .inherited, stderr: .inherited, onTerminal: true)
      return process.wait().code
    } catch {
      return 127
    }
  }

  private func isTracked(_ url: URL) async -> Bool {
    let result = try? await LocalProgram.run(
      "git", ["-C", cipher.repository.root.path, "ls-files", "--error-unmatch", "--", url.path])
    return result?.succeeded ?? false
  }

  private static func privateFolder() throws(AgeCipher.Failure) -> URL {
    let base =
      FileManager.default.fileExists(atPath: "/dev/shm")
      ? URL(fileURLWithPath: "/dev/shm") : FileManager.default.temporaryDirectory
    var template = Array(base.appending(path: "infra-secret-XXXXXX").path.utf8CString)
    guard let made = mkdtemp(&template) else {
      throw AgeCipher.Failure(message: "cannot make a private temporary folder in \(base.path)")
    }
    return URL(fileURLWithPath: String(cString: made))
  }

  /// Overwrites a file with zeros, syncs it, and removes it.
  static func shred(_ url: URL) {
    let descriptor = open(url.path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW)
    if descriptor >= 0 {
      var info = stat()
      if fstat(descriptor, &info) == 0, info.st_mode & S_IFMT == S_IFREG {
        let zeros = [UInt8](repeating: 0, count: 1 << 16)
        var left = Int(info.st_size)
        while left > 0 {
          let written = write(descriptor, zeros, min(left, zeros.count))
          guard written > 0 else { break }
          left -= written
        }
        fsync(descriptor)
      }
      close(descriptor)
    }
    unlink(url.path)
  }

  /// Shreds every file of `folder` (the editor's swap and backup files too), then removes it.
  static func shredFolder(_ folder: URL) {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
    for name in names { shred(folder.appending(path: name)) }
    try? FileManager.default.removeItem(at: folder)
  }
}
