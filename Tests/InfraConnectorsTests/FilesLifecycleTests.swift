import Foundation
import InfraCore
import InfraEngine
import InfraTestSupport
import InfraTransport
import Testing

/// Plan and apply of the `files` connector against real folders through the local transport.
@Suite struct FilesLifecycleTests {
  let repo: TestRepository
  let harness: Harness
  var target: String { repo.target.path }

  init() throws {
    repo = try TestRepository("files")
    harness = Harness(repo: repo)
    try repo.writeConfig()
  }

  /// The installers every write-path test runs with: perl on the host, and the shell loop.
  static let writers = ["auto", "shell"]

  func use(_ writer: String) throws {
    try repo.writeConfig(options: ["writer: \(writer)"])
  }

  @Test(arguments: writers)
  func createUpdateDeleteAndNothingLeftToDo(writer: String) async throws {
    try use(writer)
    try repo.resource("local/etc/motd", "hello\n")
    try repo.resource("local/etc/app/app.conf", "a = 1\n")
    try repo.resource("local/home/me/.bashrc", "alias ll='ls -l'\n")
    try repo.target.write("etc/app/old.conf", "legacy\n")
    try repo.resource(
      "local/etc/app/.infra-attrs.yaml",
      "files:\n  old.conf: { state: absent }\n  app.conf: { mode: \"0600\" }\n")

    #expect(
      try await harness.changes() == [
        "create files/local/etc/app/app.conf local: create \(target)/etc/app/app.conf: 1 line, mode 0600",
        "delete files/local/etc/app/old.conf local: delete \(target)/etc/app/old.conf: declared absent in resources/test/files/local/etc/app/.infra-attrs.yaml",
        "create files/local/etc/motd local: create \(target)/etc/motd: 1 line, mode 0644",
        "create files/local/home/me/.bashrc local: create \(target)/home/me/.bashrc: 1 line, mode 0644",
      ])
    let first = try await harness.apply()
    #expect(first.succeeded)
    #expect(first.changedCount == 4)
    #expect(repo.target.files() == ["etc/app/app.conf", "etc/motd", "home/me/.bashrc"])
    #expect(try repo.target.readText("etc/motd") == "hello\n")
    #expect(try repo.target.mode("etc/app/app.conf") == 0o600)
    #expect(try repo.target.mode("etc/motd") == 0o644)
    #expect(try repo.target.mode("home/me") == 0o755)

    // A second apply has nothing to do.
    let again = try await harness.plan()
    #expect(!again.hasChanges && !again.hasFailures)
    #expect(again.summary.unchanged == 4)

    // Content and mode drift, then the repository changes.
    try repo.target.write("etc/motd", "edited by hand\n")
    try repo.target.setMode("etc/app/app.conf", 0o644)
    try repo.resource("local/home/me/.bashrc", "alias ll='ls -la'\nexport EDITOR=vi\n")
    let plan = try await harness.plan()
    #expect(
      plan.changes.map(\.op.message) == [
        "update \(target)/etc/app/app.conf: mode 0644 → 0600",
        "update \(target)/etc/motd: content (+1 −1)",
        "update \(target)/home/me/.bashrc: content (+2 −1)",
      ])
    #expect(
      plan.changes[1].op.diff == """
        --- local:\(target)/etc/motd
        +++ resources/test/files/local/etc/motd
        @@ -1 +1 @@
        -edited by hand
        +hello

        """)
    #expect(try await harness.apply().succeeded)
    #expect(try repo.target.readText("etc/motd") == "hello\n")
    #expect(try repo.target.mode("etc/app/app.conf") == 0o600)
    #expect(try repo.target.readText("home/me/.bashrc") == "alias ll='ls -la'\nexport EDITOR=vi\n")
    #expect(try await harness.plan().hasChanges == false)
  }

  @Test(arguments: writers)
  func unmanagedModesAreKeptWhenContentChanges(writer: String) async throws {
    try use(writer)
    try repo.resource("local/script", "#!/bin/sh\necho 2\n")
    try repo.target.write("script", "#!/bin/sh\necho 1\n")
    try repo.target.setMode("script", 0o750)
    #expect(
      try await harness.changes() == [
        "update files/local/script local: update \(target)/script: content (+1 −1)"
      ])
    #expect(try await harness.apply().succeeded)
    #expect(try repo.target.mode("script") == 0o750)
    #expect(try repo.target.readText("script") == "#!/bin/sh\necho 2\n")
  }

  @Test(arguments: writers)
  func binaryContentIsSummarisedAndWrittenExactly(writer: String) async throws {
    try use(writer)
    var generator = SeededGenerator(seed: 7)
    var bytes = Data((0..<65_536).map { _ in UInt8.random(in: 0...255, using: &generator) })
    bytes[10] = 0
    try repo.resource("local/var/blob.bin", data: bytes)
    let create = try #require(try await harness.plan().changes.first)
    #expect(create.op.message == "create \(target)/var/blob.bin: binary, 64.0 KiB, mode 0644")
    #expect(create.op.details.count == 1 && create.op.details[0].hasPrefix("sha256 "))
    #expect(create.op.diff == nil)
    #expect(try await harness.apply().succeeded)
    #expect(try repo.target.read("var/blob.bin") == bytes)

    bytes.append(contentsOf: [1, 2, 3])
    try repo.resource("local/var/blob.bin", data: bytes)
    let update = try #require(try await harness.plan().changes.first)
    #expect(update.op.message == "update \(target)/var/blob.bin: content (64.0 KiB → 64.0 KiB)")
    #expect(update.op.details.first?.contains(" → ") == true)
    #expect(try await harness.apply().succeeded)
    #expect(try repo.target.read("var/blob.bin") == bytes)
  }

  @Test(arguments: writers)
  func awkwardPathsArriveUnchanged(writer: String) async throws {
    try use(writer)
    let names = [
      "with space/it's \"quoted\"", "$(touch pwned)/`id`", "-leading-dash/--",
      "new\nline/tab\there",
      "ünïcödé ✓/*?[a]", "semi;colon/a&&b|c", ".hidden/.file",
    ]
    for (index, name) in names.enumerated() {
      try repo.resource("local/\(name)", "file \(index)\n")
    }
    let plan = try await harness.plan()
    #expect(plan.changes.count == names.count)
    #expect(!plan.hasFailures)
    #expect(try await harness.apply().succeeded)
    for (index, name) in names.enumerated() {
      #expect(try repo.target.readText(name) == "file \(index)\n", "\(name)")
    }
    #expect(repo.target.files().count == names.count)
    #expect(!repo.target.exists("pwned") && !FileManager.default.fileExists(atPath: "pwned"))
    #expect(try await harness.plan().hasChanges == false)
  }

  @Test func largeTextIsSummarisedRatherThanDiffed() async throws {
    let big = String(repeating: "0123456789abcdef\n", count: 70_000)
    try repo.resource("local/big.txt", big)
    try repo.target.write("big.txt", big + "tail\n")
    let change = try #require(try await harness.plan().changes.first)
    #expect(change.op.diff == nil)
    #expect(change.op.message == "update \(target)/big.txt: content (1.1 MiB → 1.1 MiB)")
  }

  /// A symbolic link or a folder where the repository has a file is left as it is, and the
  /// plan says why; with `replace: true`, it is moved aside, whole, and the file takes its place.
  @Test(arguments: writers)
  func linksAndFoldersInTheWayAreLeftAloneOrMovedAside(writer: String) async throws {
    try use(writer)
    try repo.resource("local/link", "now a file\n")
    try repo.resource("local/folder", "wants to be a file\n")
    try repo.target.write("elsewhere", "untouched\n")
    try repo.target.write("folder/inside", "kept\n")
    try FileManager.default.createSymbolicLink(
      atPath: repo.target.appending("link").path,
      withDestinationPath: repo.target.appending("elsewhere").path)
    let plan = try await harness.plan()
    #expect(plan.changes.isEmpty)
    #expect(
      plan.failures.map(\.message) == [
        "\(target)/folder is a folder on local, where the repository has a file; remove or rename the folder first, or set `replace: true` to move it aside",
        "\(target)/link is a symbolic link on local (to \(target)/elsewhere), where the repository has a file; manage it as a link (`link:`), remove it, or set `replace: true` to move it aside",
      ])
    let held = try await harness.apply()
    #expect(!held.succeeded && held.changedCount == 0)
    #expect(try repo.target.readText("link") == "untouched\n", "still the link")
    #expect(try repo.target.readText("folder/inside") == "kept\n")

    try repo.resource("local/.infra-attrs.yaml", "replace: true\n")
    let replaced = try await harness.apply()
    #expect(replaced.succeeded && replaced.changedCount == 2, "\(replaced.outcomes)")
    #expect(try repo.target.readText("link") == "now a file\n")
    #expect(try repo.target.readText("folder") == "wants to be a file\n")
    #expect(try repo.target.readText("elsewhere") == "untouched\n")
    let aside = repo.target.files().filter { $0.contains(".20") && $0.contains("Z~") }.sorted()
    #expect(aside.count == 2, "\(repo.target.files())")
    #expect(aside.contains { $0.hasPrefix("folder.") && $0.hasSuffix("~/inside") }, "\(aside)")
    let link = try #require(aside.first { $0.hasPrefix("link.") })
    #expect(
      try FileManager.default.destinationOfSymbolicLink(atPath: repo.target.appending(link).path)
        == repo.target.appending("elsewhere").path)
  }

  /// A parent path that became a file after the plan fails the op below it, with its own
  /// path; ops before it are applied, the host's later ops are not started.
  @Test(arguments: writers)
  func aParentThatIsAFileFailsOnlyTheOpsBelowIt(writer: String) async throws {
    try use(writer)
    try repo.resource("local/a/first", "1\n")
    try repo.resource("local/blocker/inner", "2\n")
    try repo.resource("local/c/last", "3\n")
    let folder = repo.target
    let result = try await harness.apply(beforeApplying: {
      _ = try folder.write("blocker", "a file, not a folder\n")
    })
    let statuses = result.outcomes.map { outcome -> String in
      switch outcome.status {
      case .applied: "\(outcome.change.address.path) applied"
      case .failed(let message): "\(outcome.change.address.path) failed: \(message)"
      case .skipped(let reason): "\(outcome.change.address.path) skipped: \(reason)"
      }
    }
    #expect(statuses.count == 3)
    #expect(statuses[0] == "files/local/a/first applied")
    #expect(
      statuses[1]
        == "files/local/blocker/inner failed: \(target)/blocker: it is a file where a folder should be"
    )
    #expect(
      statuses[2]
        == "files/local/c/last skipped: not applied because test/files/local/blocker/inner failed on local"
    )
    #expect(try repo.target.readText("a/first") == "1\n")
    #expect(!repo.target.exists("c/last"))
  }

  /// A file where a folder of a path should be, or an owner or group the host does not have,
  /// is found by the plan's read: those files cannot be planned, and nothing is touched.
  @Test func aParentThatIsAFileOrAMissingOwnerFailsThePlan() async throws {
    try repo.resource("local/blocker/deep/inner", "2\n")
    try repo.resource("local/owned", "3\n")
    try repo.resource("local/grouped", "4\n")
    try repo.resource(
      "local/.infra-attrs.yaml",
      "files:\n  owned: { owner: no-such-user-x }\n  grouped: { group: no-such-group-x }\n")
    try repo.target.write("blocker", "a file, not a folder\n")
    let plan = try await harness.plan()
    let messages = plan.failures.map(\.message).sorted()
    #expect(
      messages == [
        "cannot create \(target)/blocker/deep/inner on local: \(target)/blocker is a file where a folder should be; remove or rename it first",
        "there is no group 'no-such-group-x' on local for \(target)/grouped; create the group first (a groups resource does, in the same apply), or change `group:`",
        "there is no user 'no-such-user-x' on local to own \(target)/owned; create the user first (a users resource does, in the same apply), or change `owner:`",
      ], "\(messages)")
    #expect(try repo.target.readText("blocker") == "a file, not a folder\n")
  }

  @Test func aResourceFileEditedAfterPlanningIsNotApplied() async throws {
    try repo.resource("local/etc/motd", "reviewed\n")
    let repo = repo
    let result = try await harness.apply {
      try repo.resource("local/etc/motd", "sneaked in after review\n")
    }
    #expect(
      result.outcomes.map(\.status) == [
        .failed(
          "resources/test/files/local/etc/motd changed after it was planned; run the plan again")
      ])
    #expect(!repo.target.exists("etc/motd"))
  }

  @Test(arguments: writers)
  func ownerAndGroupAreComparedAndSet(writer: String) async throws {
    try use(writer)
    let me = String(cString: try #require(getpwuid(geteuid())).pointee.pw_name)
    try repo.resource("local/owned", "x\n")
    try repo.resource(".infra-attrs.yaml", "owner: \(me)\n")
    #expect(
      try await harness.changes() == [
        "create files/local/owned local: create \(target)/owned: 1 line, mode 0644, owner \(me)"
      ])
    #expect(try await harness.apply().succeeded)
    #expect(try await harness.plan().hasChanges == false)

    // Another group: root may give it away; anyone else is refused by the host, and says so.
    try repo.resource(".infra-attrs.yaml", "owner: \(me)\ngroup: daemon\n")
    let change = try #require(try await harness.plan().changes.first)
    #expect(change.op.message.hasSuffix("→ daemon"))
    let result = try await harness.apply()
    var info = stat()
    #expect(stat(repo.target.appending("owned").path, &info) == 0)
    if geteuid() == 0 {
      #expect(result.succeeded)
      #expect(String(cString: try #require(getgrgid(info.st_gid)).pointee.gr_name) == "daemon")
    } else {
      #expect(!result.succeeded)
      #expect(info.st_gid == getegid())
    }
  }
}
