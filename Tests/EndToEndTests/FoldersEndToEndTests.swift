import Foundation
import InfraTestSupport
import Testing

/// Folders as resources: declared by a `.gitkeep` or `.keep` (never installed), by being
/// empty, or by `folder:` in their `.infra-attrs.yaml`, with their own mode and owner; a file
/// where a folder is wanted is left alone, or moved aside with `replace: true`. Locally and
/// over SSH.
@Suite struct FoldersEndToEndTests {
  @Test(arguments: [false, true])
  func foldersHaveTheirOwnModesAndOwners(overSSH: Bool) async throws {
    let host = try FilesHost("folders", overSSH: overSSH)
    let (repo, target) = (host.repo, host.target)
    let files = "resources/p/files"
    try repo.write("\(files)/box/srv/uploads/.gitkeep", "")
    try repo.write("\(files)/@all/var/cache/app/.keep", "")
    try FileManager.default.createDirectory(
      at: repo.appending("\(files)/box/srv/empty"), withIntermediateDirectories: true)
    let ownerSetting = overSSH ? "" : ", owner: nobody"
    try repo.write(
      "\(files)/box/srv/private/.infra-attrs.yaml",
      "folder: { mode: \"u=rwx,g=rx,o=\"\(ownerSetting) }\n")
    try repo.write("\(files)/box/srv/private/notes", "in a private folder\n")

    let plan = try await Infra.run(["plan"], in: repo.url)
    #expect(plan.code == 0, "\(plan)")
    #expect(
      plan.stdout.contains(
        "create the folder \(target.path)/srv/private/: mode 0750\(overSSH ? "" : ", owner nobody")"
      ),
      "\(plan)")
    let apply = try await Infra.run(["apply", "--yes"], in: repo.url)
    #expect(apply.code == 0, "\(apply)")
    for folder in ["srv/uploads", "var/cache/app", "srv/empty"] {
      #expect(try kind(target, folder) == .typeDirectory, "\(folder)")
      #expect(try mode(target, folder) == 0o755, "\(folder)")
    }
    #expect(try mode(target, "srv/private") == 0o750)
    if !overSSH { #expect(try owner(target, "srv/private") == "nobody") }
    #expect(try target.readText("srv/private/notes") == "in a private folder\n")
    #expect(!target.files().contains { $0.hasSuffix(".gitkeep") || $0.hasSuffix(".keep") })
    let again = try await Infra.run(["plan", "--detailed-exitcode"], in: repo.url)
    #expect(again.code == 0, "\(again)")

    // A managed mode changed on the host is set back, in place: the same folder, with what it
    // holds. A folder that does not say its mode keeps whatever it has.
    chmod(target.appending("srv/private").path, 0o777)
    chmod(target.appending("srv/uploads").path, 0o777)
    _ = try target.write("srv/private/left by the app", "x\n")
    let inode = try attributes(target, "srv/private")[.systemFileNumber] as? UInt64
    let drift = try await Infra.run(["apply", "--yes"], in: repo.url)
    #expect(drift.code == 0, "\(drift)")
    #expect(
      drift.stdout.contains("update the folder \(target.path)/srv/private/: mode 0777 → 0750"),
      "\(drift)")
    #expect(!drift.stdout.contains("srv/uploads"), "\(drift)")
    #expect(try mode(target, "srv/private") == 0o750)
    #expect(try mode(target, "srv/uploads") == 0o777)
    #expect(try attributes(target, "srv/private")[.systemFileNumber] as? UInt64 == inode)
    #expect(try target.readText("srv/private/left by the app") == "x\n")
    withExtendedLifetime(host) {}
  }

  @Test(arguments: [false, true])
  func aFileWhereAFolderIsWantedIsLeftOrMovedAside(overSSH: Bool) async throws {
    let host = try FilesHost("folders-kind", overSSH: overSSH)
    let (repo, target) = (host.repo, host.target)
    try repo.write("resources/p/files/box/srv/data/.gitkeep", "")
    _ = try target.write("srv/data", "a file in the way\n")
    try SSHServer.giveAway(target)
    let refused = try await Infra.run(["apply", "--yes"], in: repo.url)
    #expect(refused.code == 1, "\(refused)")
    #expect(
      refused.stdout.contains(
        "\(target.path)/srv/data is a file on box, where the repository has a folder; remove it, or set `replace: true` to move it aside"
      ), "\(refused)")
    #expect(try target.readText("srv/data") == "a file in the way\n")

    try repo.write("resources/p/files/box/srv/.infra-attrs.yaml", "replace: true\n")
    let replaced = try await Infra.run(["apply", "--yes"], in: repo.url)
    #expect(replaced.code == 0, "\(replaced)")
    #expect(try kind(target, "srv/data") == .typeDirectory)
    let aside = try FileManager.default.contentsOfDirectory(atPath: target.appending("srv").path)
      .filter { $0.hasPrefix("data.") && $0.hasSuffix("Z~") }
    #expect(aside.count == 1)
    #expect(try target.readText("srv/\(aside.first ?? "")") == "a file in the way\n")
    withExtendedLifetime(host) {}
  }

  private func attributes(_ folder: TemporaryFolder, _ path: String) throws -> [FileAttributeKey:
    Any]
  {
    try FileManager.default.attributesOfItem(atPath: folder.appending(path).path)
  }

  private func kind(_ folder: TemporaryFolder, _ path: String) throws -> FileAttributeType? {
    try attributes(folder, path)[.type] as? FileAttributeType
  }

  private func mode(_ folder: TemporaryFolder, _ path: String) throws -> Int {
    (try attributes(folder, path)[.posixPermissions] as? Int ?? -1) & 0o7777
  }

  private func owner(_ folder: TemporaryFolder, _ path: String) throws -> String? {
    try attributes(folder, path)[.ownerAccountName] as? String
  }
}
