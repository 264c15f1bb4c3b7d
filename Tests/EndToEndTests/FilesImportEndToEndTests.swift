import Foundation
import InfraTestSupport
import Testing

/// `infra import --connector P/files --host H PATH...` adopts a real folder tree: a resource
/// file per file, the odd modes and owners in `.infra-attrs.yaml`, nothing overwritten or
/// duplicated, and the next plan shows no change; locally and over SSH.
@Suite struct FilesImportEndToEndTests {
  @Test(arguments: [false, true])
  func aRealTreeWithOddModesIsImportedAndPlansClean(overSSH: Bool) async throws {
    let host = try FilesHost("import", overSSH: overSSH)
    let repo = host.repo
    // The files are the test's own until it gives them away: not the login user's folder.
    let target = try TemporaryFolder("import-tree")
    try repo.write(
      "infra.yaml",
      try repo.readText("infra.yaml").replacingOccurrences(
        of: host.target.path, with: target.path))
    let tree: [(path: String, content: String, mode: Int)] = [
      ("etc/app/main.conf", "main\n", 0o644), ("etc/app/secret.key", "key\n", 0o600),
      ("etc/app/bin/run", "#!/bin/sh\n", 0o4755), ("etc/app/with space/x y", "spaced\n", 0o640),
      ("etc/app/conf.d/tab\tname", "tab\n", 0o2750), ("etc/app/shared", "from the group\n", 0o644),
      ("etc/app/page.mustache", "{{not a template}}\n", 0o644),
    ]
    for file in tree { _ = try target.write(file.path, file.content) }
    if overSSH { try SSHServer.giveAway(target) }
    if !overSSH { chown(target.appending("etc/app/secret.key").path, 65534, 65534) }
    // After the owners: a change of owner clears setuid and setgid.
    for file in tree { chmod(target.appending(file.path).path, mode_t(file.mode)) }
    try FileManager.default.createSymbolicLink(
      atPath: target.appending("etc/app/link").path, withDestinationPath: "main.conf")
    // The group already declares one file for the host, and the host has its own for another.
    try repo.write("resources/p/files/@all/etc/app/shared", "from the group\n")
    try repo.write("resources/p/files/box/etc/app/main.conf", "main\n")

    let dry = try await Infra.run(
      [
        "import", "--connector", "p/files", "--host", "box", "--dry-run",
        target.appending("etc/app").path,
      ],
      in: repo.url)
    #expect(dry.code == 0 && dry.stdout.contains("would write"), "\(dry)")
    #expect(
      !FileManager.default.fileExists(
        atPath: repo.appending("resources/p/files/box/etc/app/secret.key").path))

    let run = try await Infra.run(
      ["import", "--connector", "p/files", "--host", "box", target.appending("etc/app").path],
      in: repo.url)
    #expect(run.code == 0, "\(run)")
    #expect(run.stdout.contains("kept resources/p/files/box/etc/app/main.conf"), "\(run)")
    #expect(run.stdout.contains("\(target.path)/etc/app/link: a symbolic link"), "\(run)")
    let files = "resources/p/files/box/etc/app"
    #expect(!FileManager.default.fileExists(atPath: repo.appending("\(files)/shared").path))
    #expect(try repo.readText("\(files)/bin/run") == "#!/bin/sh\n")
    #expect(try repo.readText("\(files)/with space/x y") == "spaced\n")
    #expect(try repo.readText("\(files)/conf.d/tab\tname") == "tab\n")
    let top = try repo.readText("\(files)/.infra-attrs.yaml")
    #expect(top.contains(#""page.mustache": { template: false }"#), "\(top)")
    #expect(
      top.contains(
        overSSH
          ? #""secret.key": { mode: "0600" }"#
          : #""secret.key": { mode: "0600", owner: "nobody", group: "nogroup" }"#),
      "\(top)")
    #expect(
      try repo.readText("\(files)/bin/.infra-attrs.yaml").contains(#""run": { mode: "4755" }"#))
    #expect(
      try repo.readText("\(files)/conf.d/.infra-attrs.yaml").contains(
        #""tab\tname": { mode: "2750" }"#))

    let plan = try await Infra.run(["plan", "--detailed-exitcode"], in: repo.url)
    #expect(plan.code == 0, "\(plan)")
    #expect(plan.stdout.contains("7 unchanged"), "\(plan)")

    // The host's files changed since: importing again overwrites no resource file.
    let attributes = try repo.readText("\(files)/.infra-attrs.yaml")
    _ = try target.write("etc/app/main.conf", "changed on the host\n")
    _ = try target.write("etc/app/with space/x y", "changed too\n")
    if overSSH { try SSHServer.giveAway(target) }
    let again = try await Infra.run(
      ["import", "--connector", "p/files", "--host", "box", target.appending("etc/app").path],
      in: repo.url)
    #expect(again.code == 0, "\(again)")
    #expect(try repo.readText("\(files)/main.conf") == "main\n")
    #expect(try repo.readText("\(files)/with space/x y") == "spaced\n")
    #expect(try repo.readText("\(files)/.infra-attrs.yaml") == attributes)
    withExtendedLifetime(host) {}
  }
}
