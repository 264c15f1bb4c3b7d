import Foundation
import InfraTestSupport

/// A repository whose one connector (prefix `p`; the files connector unless told) manages a
/// folder of one host, `box`, reached locally or through a real sshd of the test's own, with a
/// lock folder of its own so that parallel tests never meet.
struct FilesHost {
  let server: SSHServer?
  let repo: TemporaryFolder
  /// The connector's root on the host: owned by the SSH login user over SSH.
  let target: TemporaryFolder
  let locks: TemporaryFolder

  /// `options` go into the connector's options after `root` (`", writer: shell"`); `connector`
  /// replaces the files connector's entry.
  init(
    _ label: String, overSSH: Bool = false, options: String = "", connector: String? = nil
  ) throws {
    server = overSSH ? try SSHServer() : nil
    target =
      overSSH
      ? try SSHServer.ownedFolder("\(label)-target") : try TemporaryFolder("\(label)-target")
    locks =
      overSSH ? try SSHServer.ownedFolder("\(label)-locks") : try TemporaryFolder("\(label)-locks")
    repo = try TemporaryFolder(label)
    try repo.write(
      "infra.yaml",
      """
      version: 1
      hosts:
      \(server?.hostYAML("box") ?? "  box: { connect: local }")
      locks: { folder: \(locks.path) }
      prefixes:
        p:
          connectors:
            - \(connector ?? "{ name: files, options: { root: \(target.path)\(options) } }")
      """)
  }

  /// Writes a resource file of `box`, at `path` below its folder.
  func resource(_ path: String, _ content: String) throws {
    try repo.write("resources/p/files/box/\(path)", content)
  }

  /// Runs `infra` in the repository.
  func infra(_ arguments: String...) async throws -> InfraRun {
    try await Infra.run(arguments, in: repo.url)
  }
}
