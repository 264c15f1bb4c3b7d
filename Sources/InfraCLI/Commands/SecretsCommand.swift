import ArgumentParser
import Foundation
import InfraCore
import InfraEngine

/// `infra secrets`: age-encrypted resource files, as `ansible-vault` makes and edits them.
struct SecretsCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "secrets",
    abstract: "Encrypt a resource file with age, or edit an encrypted one.",
    discussion: """
      A resource file ending in .age is decrypted when it is planned, with the identities of \
      `secrets: { identities: ... }` in infra.yaml, and is sensitive: no output shows its \
      content. Files are encrypted to `secrets: { recipients: ... }`.
      """,
    subcommands: [SecretsEncryptCommand.self, SecretsEditCommand.self])
}

struct SecretsEncryptCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "encrypt",
    abstract: "Encrypt FILE to FILE.age for the recipients of infra.yaml, and remove FILE.")

  @OptionGroup var global: GlobalOptions

  @Argument(help: "The clear file to encrypt.")
  var file: String

  func run() async throws {
    let (session, secrets, url) = try Session.secretFile(file, global)
    do {
      let done = try await secrets.encrypt(url)
      let shown = session.repository.relativePath(of: done.file)
      session.console.out(
        "Encrypted \(shown) for \(count(secrets.cipher.settings.recipients.count, "recipient")); the clear file is removed.\n"
      )
      if done.wasTracked {
        session.console.error(
          "warning: git has the clear file in its history: change the secret, since its old value stays readable there.\n"
        )
      }
    } catch {
      session.report([.error("cannot encrypt \(file): \(error.message)", hint: error.hint)])
      throw ExitCode.failure
    }
  }
}

struct SecretsEditCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "edit",
    abstract: "Edit an .age file in $EDITOR: decrypted to a private temporary file, removed after.")

  @OptionGroup var global: GlobalOptions

  @Argument(help: "The .age file to edit.")
  var file: String

  func run() async throws {
    let (session, secrets, url) = try Session.secretFile(file, global)
    let environment = ProcessInfo.processInfo.environment
    let editor =
      [environment["VISUAL"], environment["EDITOR"]].compactMap { $0 }
      .first { !$0.isEmpty } ?? "vi"
    do {
      switch try await secrets.edit(url, editor: editor) {
      case .changed:
        session.console.out("Encrypted the new content of \(file) again.\n")
      case .unchanged:
        session.console.out("\(file) is unchanged.\n")
      }
    } catch {
      session.report([.error("cannot edit \(file): \(error.message)", hint: error.hint)])
      throw ExitCode.failure
    }
  }
}

extension Session {
  /// The session, the repository's secrets settings and `file` (from the current folder), for
  /// `infra secrets`.
  static func secretFile(_ file: String, _ global: GlobalOptions) throws
    -> (Session, SecretFiles, URL)
  {
    let session = try Session(global)
    let url = URL(fileURLWithPath: file, relativeTo: session.directory).standardizedFileURL
    return (session, try session.secretFiles(), url)
  }

  /// The repository's secrets settings, from infra.yaml alone (no connector is started);
  /// exits 1 on any error in infra.yaml.
  func secretFiles() throws -> SecretFiles {
    let (config, diagnostics) = ConfigLoader.load(from: repository.configURL)
    report(diagnostics.all)
    guard let config, !diagnostics.hasErrors else { throw ExitCode.failure }
    return SecretFiles(cipher: AgeCipher(settings: config.secrets, repository: repository))
  }
}
