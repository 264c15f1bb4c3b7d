import Foundation
import InfraCore
import InfraEngine

/// A secret's text, from a file of the repository (decrypted when it ends in `.age`) or from a
/// variable of infra's environment, with its final newlines trimmed: a password or a token as
/// `age` or `echo` leave it in a file.
enum SecretText {
  /// The most a secret file may hold.
  static let fileLimit = 64 << 10

  static func fromFile(_ path: String, cipher: AgeCipher, repository: Repository) async
    -> Result<String, AgeCipher.Failure>
  {
    let url = repository.root.appendingPathComponent(path)
    let data: Data
    if AgeCipher.isEncrypted(path) {
      do throws(AgeCipher.Failure) {
        data = try await cipher.decrypt(url)
      } catch {
        return .failure(
          AgeCipher.Failure(message: "cannot decrypt \(path): \(error.message)", hint: error.hint))
      }
    } else {
      switch BoundedRead.contents(of: url, path: path, limit: fileLimit) {
      case .success(let read): data = read
      case .failure(let problem):
        return .failure(
          AgeCipher.Failure(
            message: "cannot read \(path): \(problem.message)",
            hint: problem.hint ?? "the path is relative to infra.yaml's folder"))
      }
    }
    var text = String(decoding: data, as: UTF8.self)
    // "\r\n" is one Character: both endings go.
    while let last = text.last, last.isNewline { text.removeLast() }
    return .success(text)
  }

  static func fromEnvironment(_ name: String, hint: String) -> Result<String, AgeCipher.Failure> {
    if let value = ProcessInfo.processInfo.environment[name], !value.isEmpty {
      return .success(value)
    }
    return .failure(
      AgeCipher.Failure(message: "the environment variable \(name) is not set", hint: hint))
  }
}
