import Foundation
import InfraTestSupport
import InfraTransport
import Testing

/// What resources/ holds is what is managed, and what a plan shows is what is there: links out
/// of the repository and names that cannot be managed are errors, and a name cannot show a
/// reviewer something other than itself.
@Suite struct HostileNamesEndToEndTests {
  let repo: TestRepository
  let outside: TemporaryFolder
  var root: URL { repo.root.url }

  init() throws {
    repo = try TestRepository("hostile-names")
    outside = try TemporaryFolder("outside")
    try repo.writeConfig()
    try repo.resource("local/etc/motd", "hello\n")
  }

  @Test func resourcesOrAPrefixThatLeadsOutOfTheRepositoryIsRefused() async throws {
    _ = try outside.write("test/files/local/etc/planted", "from outside\n")
    let resources = root.appending(path: "resources")
    try FileManager.default.removeItem(at: resources)
    try FileManager.default.createSymbolicLink(
      at: resources, withDestinationURL: outside.url)
    try await expectRefused(
      ["plan"],
      "resources/: error: resources/ is a symbolic link that leads outside the repository (to \(outside.url.resolvingSymlinksInPath().path))"
    )

    try FileManager.default.removeItem(at: resources)
    try FileManager.default.createDirectory(at: resources, withIntermediateDirectories: false)
    try FileManager.default.createSymbolicLink(
      at: resources.appending(path: "test"), withDestinationURL: outside.appending("test"))
    try await expectRefused(
      ["apply", "--yes"],
      "resources/test: error: resources/test is a symbolic link that leads outside the repository")

    try FileManager.default.removeItem(at: resources.appending(path: "test"))
    try FileManager.default.createDirectory(
      at: resources.appending(path: "test"), withIntermediateDirectories: false)
    try FileManager.default.createSymbolicLink(
      at: resources.appending(path: "test/files"),
      withDestinationURL: outside.appending("test/files"))
    try await expectRefused(
      ["plan"],
      "resources/test/files: error: resources/test/files is a symbolic link that leads outside")
  }

  @Test func aNameThatIsNotUTF8IsAnErrorThatShowsItsBytes() async throws {
    let folder = root.appending(path: "resources/test/files/local/etc").path
    let name = Array("caf".utf8) + [0xE9]
    let path = Array(folder.utf8) + [0x2F] + name
    let descriptor = path.withUnsafeBufferPointer { bytes -> Int32 in
      let text = bytes.map { CChar(bitPattern: $0) } + [0]
      return open(text, O_CREAT | O_WRONLY, 0o644)
    }
    #expect(descriptor >= 0)
    close(descriptor)
    try await expectRefused(
      ["plan"],
      "resources/test/files/local/etc/caf\\xE9: error: resources/test/files/local/etc/caf\\xE9 cannot be managed: its name is not UTF-8 text"
    )
  }

  @Test func aPathLongerThanPathMaxIsAnErrorNotAWarning() async throws {
    // Created a folder at a time from the one above, as no path can name the deepest.
    let script = """
      import os, sys
      folder = os.open(sys.argv[1], os.O_RDONLY)
      for level in range(21):
          os.mkdir("d" * 200, dir_fd=folder)
          deeper = os.open("d" * 200, os.O_RDONLY, dir_fd=folder)
          os.close(folder)
          folder = deeper
      os.write(os.open("file", os.O_CREAT | os.O_WRONLY, 0o644, dir_fd=folder), b"deep\\n")
      """
    let folder = root.appending(path: "resources/test/files/local").path
    #expect(try ChildProcess.run("/usr/bin/python3", ["-c", script, folder]) == 0)
    let run = try await expectRefused(
      ["validate"], "error: this path cannot be managed: it is ",
      "bytes on this machine, and the system's paths end at 4,095 (PATH_MAX)")
    #expect(!run.stderr.contains("neither a file nor a folder"), "\(run)")
  }

  @Test func invisibleCharactersInANameAreEscapedWhereverItIsShown() async throws {
    // U+202E turns what follows around: "invoice‮fdp.sh" shows as "invoicehs.pdf".
    let name = "invoice\u{202E}fdp.sh"
    try repo.resource("local/etc/\(name)", "#!/bin/sh\n")
    let shown = "invoice\\u{202e}fdp.sh"
    for command in [["plan"], ["plan", "--out", "change.plan"], ["apply", "--yes"]] {
      let run = try await Infra.run(command, in: root)
      #expect(run.code == 0, "\(run)")
      #expect(run.stdout.contains(shown), "\(command): \(run)")
      #expect(!(run.stdout + run.stderr).contains("\u{202E}"), "\(command) printed U+202E")
    }
    let markdown = try await Infra.run(["show", "--markdown", "change.plan"], in: root)
    #expect(markdown.stdout.contains(shown), "\(markdown)")
    #expect(!markdown.stdout.contains("\u{202E}"), "show --markdown printed U+202E")
    // The file itself has its real name.
    #expect(repo.target.files().contains("etc/\(name)"))
  }

  /// Runs `command` and expects exit 1 with every one of `expected` on standard error, within
  /// a second of CPU and 100 MB, and nothing applied.
  @discardableResult
  private func expectRefused(_ command: [String], _ expected: String...) async throws -> InfraRun {
    let (run, usage) = try await Infra.measured(command, in: root)
    #expect(run.code == 1, "\(command): \(run)")
    for text in expected { #expect(run.stderr.contains(text), "\(command): \(run)") }
    #expect(usage.isSmall, "\(usage)")
    #expect(repo.target.files().isEmpty, "\(command) applied something")
    return run
  }
}
