import Foundation
import InfraCore
import InfraTransport

/// Decrypts and encrypts `.age` resource files with the `age` tool (Debian's `age`; `rage` and
/// every age implementation read the same files), with the identities and recipients of
/// infra.yaml's `secrets:`.
///
/// Clear text never touches a disk: identities go to `age` on standard input, content comes
/// back on its standard output, and what is encrypted goes in the same way.
package struct AgeCipher: Sendable {
  package var settings: SecretsSettings
  package var repository: Repository

  package init(settings: SecretsSettings, repository: Repository) {
    self.settings = settings
    self.repository = repository
  }

  /// Why a file could not be decrypted or encrypted, worded to follow "cannot decrypt FILE:".
  package struct Failure: Error, Hashable, Sendable, CustomStringConvertible {
    package var message: String
    package var hint: String?
    package var description: String { message }

    package init(message: String, hint: String? = nil) {
      self.message = message
      self.hint = hint
    }
  }

  /// Whether infra.yaml names any identity.
  package var hasIdentities: Bool { !settings.identities.isEmpty }

  /// The content of the age file at `url`.
  package func decrypt(_ url: URL) async throws(Failure) -> Data {
    let identities = try identityText()
    let result = try await age(["--decrypt", "-i", "-", url.path], input: identities)
    guard result.succeeded else {
      let said = ageError(result)
      if said.contains("no identity matched") {
        throw Failure(
          message: "none of the identities that infra.yaml names can decrypt it (\(said))",
          hint:
            "encrypt it to a recipient of yours with `infra secrets encrypt`, or use its identity")
      }
      throw Failure(message: "age cannot decrypt it: \(said)", hint: "check that it is an age file")
    }
    return result.stdout
  }

  /// `content` encrypted to the recipients of infra.yaml, as ASCII armor (text that git diffs
  /// and reviews show as changed lines).
  package func encrypt(_ content: Data) async throws(Failure) -> Data {
    guard !settings.recipients.isEmpty else {
      throw Failure(
        message: "infra.yaml names no recipients to encrypt to",
        hint:
          "add `secrets: { recipients: [age1…] }` to infra.yaml (`age-keygen -y IDENTITY` prints yours)"
      )
    }
    let arguments = ["--encrypt", "--armor"] + settings.recipients.flatMap { ["-r", $0.value] }
    let result = try await age(arguments, input: content)
    guard result.succeeded else {
      throw Failure(
        message: "age cannot encrypt: \(ageError(result))",
        hint: "check the recipients under `secrets:` in infra.yaml")
    }
    return result.stdout
  }

  /// Every identity, one after another, as `age -i -` reads them.
  private func identityText() throws(Failure) -> Data {
    guard hasIdentities else {
      throw Failure(
        message: "infra.yaml names no age identity to decrypt it with",
        hint:
          "add `secrets: { identities: [{ env: INFRA_AGE_IDENTITY }] }` to infra.yaml and set the variable, or name an identity file"
      )
    }
    var text = Data()
    for identity in settings.identities {
      switch identity.value {
      case .environment(let name):
        guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else {
          throw Failure(
            message: "\(name) is not set, and \(identity.location) takes the identity from it",
            hint: "set \(name) to the age identity (AGE-SECRET-KEY-1…)")
        }
        SecretMask.shared.register(value.trimmingCharacters(in: .whitespacesAndNewlines))
        text.append(Data(value.utf8))
      case .file(let path):
        let url = URL(fileURLWithPath: Self.expanded(path))
        guard !repository.contains(url) else {
          throw Failure(
            message: "the identity file \(path) (\(identity.location)) is inside the repository",
            hint: "an identity committed with what it protects protects nothing; move it out")
        }
        guard let data = FileManager.default.contents(atPath: url.path) else {
          throw Failure(
            message: "cannot read the identity file \(path) (\(identity.location))",
            hint: "create it with `age-keygen -o \(path)`, or fix the path")
        }
        text.append(data)
      }
      text.append(Data("\n".utf8))
    }
    return text
  }

  static func expanded(_ path: String) -> String {
    guard path.hasPrefix("~/") else { return path }
    let home = ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory()
    return home + path.dropFirst(1)
  }

  private func age(_ arguments: [String], input: Data) async throws(Failure) -> CommandResult {
    do {
      return try await LocalProgram.run("age", arguments, input: input)
    } catch {
      throw Failure(
        message: "cannot run age: \(error)",
        hint: "install age (Debian and Ubuntu: `apt-get install age`)")
    }
  }

  private func ageError(_ result: CommandResult) -> String {
    let lines = result.stderrText.split(separator: "\n").map {
      $0.trimmingCharacters(in: .whitespaces)
    }
    let said =
      lines.first { $0.hasPrefix("age: error:") } ?? lines.first ?? "exit \(result.exitCode)"
    return String(said.replacingOccurrences(of: "age: error: ", with: "").clipped(to: 200))
  }
}

extension AgeCipher {
  /// How many recipients the age file `data` is encrypted to, from its header (one stanza
  /// each; the grease stanzas age adds are not counted); `nil` when it is no age file.
  package static func recipientCount(of data: Data) -> Int? {
    var binary = data
    let armorHead = "-----BEGIN AGE ENCRYPTED FILE-----"
    if let text = String(data: data.prefix(1 << 20), encoding: .utf8), text.hasPrefix(armorHead) {
      let body = text.split(whereSeparator: \.isNewline).filter { !$0.hasPrefix("-----") }
        .joined()
      guard let decoded = Data(base64Encoded: body) else { return nil }
      binary = decoded
    }
    let header = String(decoding: binary.prefix(64 << 10), as: UTF8.self)
    let lines = header.split(separator: "\n", omittingEmptySubsequences: false)
    guard lines.first == "age-encryption.org/v1" else { return nil }
    var count = 0
    for line in lines.dropFirst() {
      if line.hasPrefix("---") { return count }
      guard line.hasPrefix("-> ") else { continue }
      let type = line.dropFirst(3).split(separator: " ").first ?? ""
      if ["X25519", "ssh-ed25519", "ssh-rsa", "scrypt"].contains(type) { count += 1 }
    }
    return nil
  }
}
