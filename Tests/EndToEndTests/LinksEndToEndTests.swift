import Foundation
import InfraTestSupport
import Testing

/// Symbolic links as resources (`link:` in `.infra-attrs.yaml`): created, left alone when they
/// point where the repository says, retargeted; the wrong kind at a path is left intact, or
/// moved aside with `replace: true`. Locally and over SSH.
@Suite struct LinksEndToEndTests {
  @Test(arguments: [false, true])
  func linksAreCreatedRetargetedAndLeftAloneWhenRight(overSSH: Bool) async throws {
    let host = try FilesHost("links", overSSH: overSSH)
    let (repo, target) = (host.repo, host.target)
    func links(_ entries: String, replace: Bool = false) throws {
      try repo.write(
        "resources/p/files/box/etc/.infra-attrs.yaml",
        (replace ? "replace: true\n" : "") + "files:\n" + entries)
    }
    try links("  current: { link: releases/1 }\n  resolv.conf: { link: ../run/stub-resolv.conf }\n")
    // The host has a real file where the repository wants a link: not touched.
    _ = try target.write("etc/resolv.conf", "nameserver 192.0.2.1\n")
    if overSSH { try SSHServer.giveAway(target) }

    let refused = try await Infra.run(["apply", "--yes"], in: repo.url)
    #expect(refused.code == 1, "\(refused)")
    #expect(
      refused.stdout.contains(
        "\(target.path)/etc/resolv.conf is a file on box, where the repository has a symbolic link to ../run/stub-resolv.conf; remove it, or set `replace: true` to move it aside"
      ), "\(refused)")
    #expect(try target.readText("etc/resolv.conf") == "nameserver 192.0.2.1\n")

    try links(
      "  current: { link: releases/1 }\n  resolv.conf: { link: ../run/stub-resolv.conf }\n",
      replace: true)
    let plan = try await Infra.run(["plan"], in: repo.url)
    #expect(
      plan.stdout.contains("create the symbolic link \(target.path)/etc/current → releases/1"))
    let apply = try await Infra.run(["apply", "--yes"], in: repo.url)
    #expect(apply.code == 0, "\(apply)")
    #expect(try link(target, "etc/current") == "releases/1")
    #expect(try link(target, "etc/resolv.conf") == "../run/stub-resolv.conf")
    let aside = try FileManager.default.contentsOfDirectory(atPath: target.appending("etc").path)
      .filter { $0.hasPrefix("resolv.conf.") && $0.hasSuffix("Z~") }
    #expect(aside.count == 1, "moved aside, not deleted")
    #expect(try target.readText("etc/\(aside.first ?? "")") == "nameserver 192.0.2.1\n")

    let again = try await Infra.run(["plan", "--detailed-exitcode"], in: repo.url)
    #expect(again.code == 0 && again.stdout.contains("2 unchanged"), "left alone: \(again)")

    try links(
      "  current: { link: releases/2 }\n  resolv.conf: { link: ../run/stub-resolv.conf }\n",
      replace: true)
    let retarget = try await Infra.run(["apply", "--yes"], in: repo.url)
    #expect(retarget.code == 0, "\(retarget)")
    #expect(
      retarget.stdout.contains(
        "retarget the symbolic link \(target.path)/etc/current: releases/1 → releases/2"),
      "\(retarget)")
    #expect(try link(target, "etc/current") == "releases/2")
    withExtendedLifetime(host) {}
  }

  /// A folder where the repository has a file is left intact, with what it holds.
  @Test(arguments: [false, true])
  func aFolderWhereAFileIsWantedIsLeftIntact(overSSH: Bool) async throws {
    let host = try FilesHost("links-folder", overSSH: overSSH)
    let (repo, target) = (host.repo, host.target)
    _ = try target.write("etc/app.conf/inside", "a folder's file\n")
    try SSHServer.giveAway(target)
    try repo.write("resources/p/files/box/etc/app.conf", "a file\n")
    let apply = try await Infra.run(["apply", "--yes"], in: repo.url)
    #expect(apply.code == 1, "\(apply)")
    #expect(apply.stdout.contains("\(target.path)/etc/app.conf is a folder on box"), "\(apply)")
    #expect(try target.readText("etc/app.conf/inside") == "a folder's file\n")
    withExtendedLifetime(host) {}
  }

  private func link(_ folder: TemporaryFolder, _ path: String) throws -> String {
    try FileManager.default.destinationOfSymbolicLink(atPath: folder.appending(path).path)
  }
}
