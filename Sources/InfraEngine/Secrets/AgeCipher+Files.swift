import Foundation
import InfraCore

/// Resource files ending in `.age`, as every connector meets them.
extension AgeCipher {
  /// Whether a file, by its path or name, is age-encrypted: it ends in `.age` and is more than
  /// that.
  package static func isEncrypted(_ path: String) -> Bool {
    path.hasSuffix(".age") && !path.hasSuffix("/.age") && path != ".age"
  }

  /// The name of what an age file holds: `app.key.age` holds `app.key`.
  package static func clearName(_ path: String) -> String {
    isEncrypted(path) ? String(path.dropLast(4)) : path
  }

  /// The content of every age file among `files`, decrypted a few at a time, or why it could
  /// not be, by repository path.
  package func decrypt(_ files: [ResourceFile]) async -> [String: Result<Data, Failure>] {
    let encrypted = files.filter { Self.isEncrypted($0.path) }
    guard !encrypted.isEmpty else { return [:] }
    return await withTaskGroup(of: (String, Result<Data, Failure>).self) { group in
      var results: [String: Result<Data, Failure>] = [:]
      var next = encrypted.makeIterator()
      func start() {
        guard let file = next.next() else { return }
        group.addTask {
          do throws(Failure) {
            let data = try await decrypt(file.url)
            SecretMask.shared.register(content: data)
            return (file.path, .success(data))
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
}

extension AgeCipher.Failure {
  /// What loading says of an age file it could not decrypt: the rest is still checked and
  /// planned, and this file fails when it is planned.
  package func warning(about file: ResourceFile) -> Diagnostic {
    .warning(
      "cannot decrypt \(file.path): \(message); it cannot be planned or applied here",
      at: file.location, hint: hint)
  }
}
