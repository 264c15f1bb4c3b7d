import Foundation
import InfraTestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// YAML written to hurt: every file infra reads is held to the same limits, so each of these
/// ends in a located error, fast and small, with nothing applied.
@Suite struct HostileYAMLEndToEndTests {
  let repo: TestRepository
  var root: URL { repo.root.url }

  init() throws {
    repo = try TestRepository("hostile-yaml")
    try repo.writeConfig()
    try repo.resource("local/etc/motd", "hello\n")
  }

  /// Nine anchors of nine aliases each: 9⁹ (387 million) strings once expanded.
  static func bomb(indent: String) -> String {
    var lines = [indent + "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for level in 1..<10 {
      let aliases = Array(repeating: "*a\(level - 1)", count: 9).joined(separator: ", ")
      lines.append(indent + "a\(level): &a\(level) [\(aliases)]")
    }
    return lines.joined(separator: "\n")
  }

  @Test func anAliasBombInAHostsDataIsRefusedWhereTheLimitIsCrossed() async throws {
    try repo.writeConfig(
      extraHosts: "  other:\n    connect: local\n    data:\n" + Self.bomb(indent: "      "))
    for command in [["validate"], ["plan"], ["apply", "--yes"]] {
      try await expectRefused(
        command, at: "infra.yaml:14:16: error: aliases expand this document by more than 100,000")
    }
  }

  @Test func anAliasBombAsAMappingKeyIsRefusedBeforeItIsHashed() async throws {
    try repo.writeConfig(
      extraHosts: "  other:\n    connect: local\n    data:\n" + Self.bomb(indent: "      ")
        + "\n      keys: { ? *a9 : x }")
    try await expectRefused(["plan"], at: "infra.yaml:14:16: error: aliases expand")
  }

  @Test func anAliasBombInAnAttributesFileIsRefused() async throws {
    try repo.resource("local/etc/.infra-attrs.yaml", "files:\n" + Self.bomb(indent: "  "))
    try await expectRefused(
      ["plan"],
      at: "resources/test/files/local/etc/.infra-attrs.yaml:7:12: error: aliases expand")
  }

  @Test func deepNestingIsRefusedAndTheQuotedLineIsClipped() async throws {
    let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
    try repo.writeConfig(extraHosts: "  other:\n    connect: local\n    data:\n      x: \(deep)")
    let run = try await expectRefused(
      ["validate"], at: "error: the YAML nests deeper than 64 levels of mappings and lists")
    #expect(run.stderr.contains("infra.yaml:9:"), "\(run.stderr.prefix(2000))")
    let widest = run.stderr.split(separator: "\n").map(\.count).max() ?? 0
    #expect(widest <= 200, "a line of \(widest) characters")
  }

  /// Each alias puts its anchor's levels where it stands: a 31-level value aliased inside
  /// another nests past the limit, although neither does alone.
  @Test func nestingThroughAliasesCountsTheAliasedLevels() async throws {
    let open = String(repeating: "[", count: 31)
    let close = String(repeating: "]", count: 31)
    try repo.writeConfig(
      extraHosts:
        "  other:\n    connect: local\n    data:\n      a: &a \(open)x\(close)\n      b: &b \(open)*a\(close)"
    )
    try await expectRefused(
      ["validate"],
      at: "infra.yaml:10:44: error: the YAML nests deeper than 64 levels of mappings and lists")
  }

  @Test func anInfraYAMLThatIsAPipeIsRefusedWithoutWaiting() async throws {
    try FileManager.default.removeItem(at: root.appending(path: "infra.yaml"))
    #expect(mkfifo(root.appending(path: "infra.yaml").path, 0o644) == 0)
    try await expectRefused(
      ["validate"], at: "infra.yaml: error: it is not a regular file (a device, a pipe or a socket)"
    )
  }

  @Test func anInfraYAMLThatLeadsOutOfTheRepositoryIsRefusedUnquoted() async throws {
    let outside = try TemporaryFolder("outside-config")
    let secret = try outside.write("credentials", "aws_secret_access_key = not-for-logs\n")
    try FileManager.default.removeItem(at: root.appending(path: "infra.yaml"))
    try FileManager.default.createSymbolicLink(
      at: root.appending(path: "infra.yaml"), withDestinationURL: secret)
    let run = try await expectRefused(
      ["validate"],
      at: "infra.yaml: error: infra.yaml is a symbolic link that leads outside the repository")
    #expect(!(run.stdout + run.stderr).contains("not-for-logs"), "\(run)")
  }

  @Test func invalidUTF8IsLocatedAtItsLineAndColumn() async throws {
    try repo.root.write(
      "infra.yaml",
      data: Data("version: 1\nhosts:\n  l".utf8) + Data([0xFF, 0xFE])
        + Data("ocal: { connect: local }\n".utf8))
    try await expectRefused(
      ["validate"], at: "infra.yaml:3:4: error: the file is not valid UTF-8 text")
  }

  @Test func aDocumentOverTheSizeLimitIsRefusedUnread() async throws {
    let filler = String(repeating: "# padding to make the file large\n", count: 520_000)
    try repo.root.write("infra.yaml", filler + "version: 1\n")
    try await expectRefused(
      ["plan"],
      at: "infra.yaml: error: it is 17,160,011 bytes or more, larger than the 16,777,216 bytes")
  }

  @Test func anInfraYAMLThatIsAFolderIsSaidToBeOne() async throws {
    try FileManager.default.removeItem(at: root.appending(path: "infra.yaml"))
    try FileManager.default.createDirectory(
      at: root.appending(path: "infra.yaml"), withIntermediateDirectories: false)
    try await expectRefused(["validate"], at: "infra.yaml: error: it is a folder, not a file")
  }

  /// Runs `command` and expects exit 1 with `at` on standard error, under a second of CPU and
  /// 100 MB, with nothing applied.
  @discardableResult
  private func expectRefused(_ command: [String], at expected: String) async throws -> InfraRun {
    let (run, usage) = try await Infra.measured(command, in: root)
    #expect(run.code == 1, "\(command): \(run.description.prefix(3000))")
    #expect(run.stderr.contains(expected), "\(command): \(run.stderr.prefix(3000))")
    #expect(usage.isSmall, "\(command): \(usage)")
    #expect(repo.target.files().isEmpty, "\(command) applied something")
    return run
  }
}
