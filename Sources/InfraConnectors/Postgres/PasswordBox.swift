import Foundation
import InfraCore
import InfraEngine
import Synchronization

/// The clear passwords of role files, by where they come from, held in memory only for the
/// run: never in a resource's desired state, a plan, an event or an artifact. Each is
/// registered with the secret mask as soon as it is read.
final class PasswordBox: Sendable {
  private let values = Mutex<[String: Result<String, AgeCipher.Failure>]>([:])

  /// The password `source` names, or why it cannot be had.
  func password(_ source: String) -> Result<String, AgeCipher.Failure> {
    values.withLock { $0[source] }
      ?? .failure(AgeCipher.Failure(message: "its password was not read"))
  }

  /// Reads the password `source` names; a problem is a warning at load (the rest is still
  /// checked) and fails the role when it is planned, as an `.age` file that cannot be
  /// decrypted does.
  func resolve(
    _ source: PostgresFile.PasswordSource, settings: PostgresConnector.Settings,
    for file: ResourceFile
  ) async -> Diagnostic? {
    let result: Result<String, AgeCipher.Failure>
    switch source {
    case .environment(let name):
      if let value = ProcessInfo.processInfo.environment[name], !value.isEmpty {
        result = .success(value)
      } else {
        result = .failure(
          AgeCipher.Failure(
            message: "the environment variable \(name) that gives its password is not set",
            hint: "set \(name) in infra's environment, or use `password: {file: …}`"))
      }
    case .file(let path):
      result = await read(path, cipher: settings.cipher, repository: settings.repository)
    }
    if case .success(let value) = result { SecretMask.shared.register(value) }
    values.withLock { $0[source.described] = result }
    if case .failure(let failure) = result {
      return .warning(
        "the password of \(file.path) cannot be had: \(failure.message); the role cannot be planned or applied here",
        at: file.location, hint: failure.hint)
    }
    return nil
  }

  private func read(_ path: String, cipher: AgeCipher, repository: Repository) async -> Result<
    String, AgeCipher.Failure
  > {
    let read = await SecretText.fromFile(path, cipher: cipher, repository: repository)
    guard case .success(let text) = read, text.isEmpty || text.contains("\n") else { return read }
    return .failure(
      AgeCipher.Failure(
        message: "\(path) must hold the password alone, on one line",
        hint: "write the password and nothing else"))
  }
}
