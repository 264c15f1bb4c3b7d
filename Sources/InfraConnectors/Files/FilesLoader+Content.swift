import Foundation
import InfraCore
import InfraEngine

extension FilesLoader {
  /// Sets the digest, size and kind of `file`'s content in `desired`, decrypting it when it is an
  /// age file; false when the file cannot be read at all. An age file that cannot be decrypted
  /// here (no identity) is still declared, with why, so that everything else can be checked and
  /// planned: the warning says so for `infra validate`, and the plan fails that file.
  func describeContent(
    of file: ResourceFile, in desired: inout DesiredFile, diagnostics: inout [Diagnostic]
  ) -> Bool {
    guard desired.encrypted == true else {
      guard let content = hash(file, diagnostics: &diagnostics) else { return false }
      (desired.sha256, desired.size) = (content.sha256, content.size)
      (desired.isText, desired.lines) = (content.isText, content.lines)
      if desired.sensitive == true, let data = settings.cache.content(of: file.path) {
        SecretMask.shared.register(content: data)
      }
      return true
    }
    switch decrypted[file.path] ?? .failure(.init(message: "it was not decrypted")) {
    case .success(let data):
      SecretMask.shared.register(content: data)
      let content = ContentDigest.of(data)
      (desired.sha256, desired.size) = (content.sha256, content.size)
      (desired.isText, desired.lines) = (content.isText, content.lines)
    case .failure(let failure):
      desired.unavailable = "cannot decrypt \(file.path): \(failure.message)"
      diagnostics.append(
        .warning(
          "cannot decrypt \(file.path): \(failure.message); it cannot be planned or applied here",
          at: file.location, hint: failure.hint))
    }
    return true
  }

  /// The content of every age file among `files`, decrypted a few at a time.
  static func decrypt(_ files: [ResourceFile], with cipher: AgeCipher) async
    -> [String: Result<Data, AgeCipher.Failure>]
  {
    let encrypted = files.filter { isEncrypted($0.path) }
    guard !encrypted.isEmpty else { return [:] }
    return await withTaskGroup(of: (String, Result<Data, AgeCipher.Failure>).self) { group in
      var results: [String: Result<Data, AgeCipher.Failure>] = [:]
      var next = encrypted.makeIterator()
      func start() {
        guard let file = next.next() else { return }
        group.addTask {
          do throws(AgeCipher.Failure) {
            return (file.path, .success(try await cipher.decrypt(file.url)))
          } catch {
            return (file.path, .failure(error))
          }
        }
      }
      for _ in 0..<4 { start() }
      while let (path, result) = await group.next() {
        results[path] = result
        start()
      }
      return results
    }
  }

  func hash(_ file: ResourceFile, diagnostics: inout [Diagnostic]) -> ContentDigest? {
    do {
      return try ContentDigest.read(file.url, keepingUpTo: ContentCache.fileLimit) {
        settings.cache.store($0, for: file.path)
      }
    } catch {
      diagnostics.append(
        .error("cannot read \(file.path): \(error.localizedDescription)", at: file.location))
      return nil
    }
  }

}
