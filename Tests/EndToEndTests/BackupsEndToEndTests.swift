import Foundation
import InfraTestSupport
import Testing

/// `backup: true` keeps the file a write replaces beside it with its old content, mode and
/// owner; a change of mode alone changes the file in place. With either writer.
@Suite struct BackupsEndToEndTests {
  @Test(arguments: ["auto", "shell", "ssh"])
  func aBackupKeepsTheOldContentAndModeAndAModeChangeKeepsTheInode(_ writer: String)
    async throws
  {
    let host = try FilesHost(
      "backups", overSSH: writer == "ssh", options: writer == "shell" ? ", writer: shell" : "")
    let (repo, target) = (host.repo, host.target)
    // As root, the owner changes too: to one given by its numeric id.
    let asRoot = writer != "ssh" && geteuid() == 0
    func attributes(_ mode: String, owner: String? = nil) throws {
      let owned = owner.map { ", owner: \"\($0)\"" } ?? ""
      try repo.write(
        "resources/p/files/box/etc/.infra-attrs.yaml",
        "files:\n  app.conf: { mode: \"\(mode)\", backup: true\(owned) }\n")
    }
    try attributes("0640")
    try repo.write("resources/p/files/box/etc/app.conf", "version 1\n")
    let first = try await Infra.run(["apply", "--yes"], in: repo.url)
    #expect(first.code == 0, "\(first)")
    #expect(try backups(in: target) == [], "a new file replaces nothing")
    if asRoot { chown(target.appending("etc/app.conf").path, 65534, 65534) }

    try attributes("0600", owner: asRoot ? "0" : nil)
    try repo.write("resources/p/files/box/etc/app.conf", "version 2\n")
    let plan = try await Infra.run(["plan"], in: repo.url)
    #expect(
      plan.stdout.contains("keeps the file it replaces as \(target.path)/etc/app.conf.<UTC time>~"),
      "\(plan)")
    let second = try await Infra.run(["apply", "--yes"], in: repo.url)
    #expect(second.code == 0, "\(second)")
    #expect(try target.readText("etc/app.conf") == "version 2\n")
    #expect(try mode(target.appending("etc/app.conf")) == 0o600)
    let kept = try backups(in: target)
    #expect(kept.count == 1, "\(kept)")
    let backup = try #require(kept.first)
    #expect(
      backup.range(of: #"^app\.conf\.[0-9]{8}T[0-9]{6}Z~$"#, options: .regularExpression) != nil)
    #expect(try target.readText("etc/\(backup)") == "version 1\n")
    #expect(try mode(target.appending("etc/\(backup)")) == 0o640, "with its old mode")
    if asRoot {
      #expect(try owner(target.appending("etc/\(backup)")) == 65534, "and its old owner")
      #expect(try owner(target.appending("etc/app.conf")) == 0, "the new one has the new owner")
    }
    let again = try await Infra.run(["plan", "--detailed-exitcode"], in: repo.url)
    #expect(again.code == 0, "a backup is no resource, an owner by id is compared as one: \(again)")

    // A mode alone: changed in place, nothing uploaded (the op carries no content), no backup.
    let inode = try self.inode(target.appending("etc/app.conf"))
    try attributes("0644", owner: asRoot ? "0" : nil)
    let json = try await Infra.run(["plan", "--json"], in: repo.url)
    let document = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
    let payload = ((document?["changes"] as? [[String: Any]])?.first?["payload"]) as? [String: Any]
    #expect(payload?["kind"] as? String == "attributes", "\(json)")
    let modeOnly = try await Infra.run(["apply", "--yes"], in: repo.url)
    #expect(modeOnly.code == 0, "\(modeOnly)")
    #expect(modeOnly.stdout.contains("mode 0600 → 0644"), "\(modeOnly)")
    #expect(try mode(target.appending("etc/app.conf")) == 0o644)
    #expect(try self.inode(target.appending("etc/app.conf")) == inode)
    #expect(try backups(in: target).count == 1)
    withExtendedLifetime(host) {}
  }

  /// Over SSH: symbolic modes with setuid, setgid and sticky bits land as written; an owner the
  /// host does not have and a file where a folder should be fail the plan, in its one read.
  @Test func modesAndOwnersOverSSH() async throws {
    let host = try FilesHost("modes-ssh", overSSH: true)
    let (repo, target) = (host.repo, host.target)
    for name in ["tool", "shared", "drop"] {
      try repo.write("resources/p/files/box/bin/\(name)", "\(name)\n")
    }
    try repo.write(
      "resources/p/files/box/bin/.infra-attrs.yaml",
      """
      files:
        tool: { mode: "u=rwxs,go=rx" }
        shared: { mode: "u=rwx,g=rwxs,o=" }
        drop: { mode: "a=rwx,+t" }

      """)
    let apply = try await Infra.run(["apply", "--yes"], in: repo.url)
    #expect(apply.code == 0, "\(apply)")
    #expect(try mode(target.appending("bin/tool")) == 0o4755)
    #expect(try mode(target.appending("bin/shared")) == 0o2770)
    #expect(try mode(target.appending("bin/drop")) == 0o1777)
    let again = try await Infra.run(["plan", "--detailed-exitcode"], in: repo.url)
    #expect(again.code == 0, "\(again)")

    try repo.write("resources/p/files/box/etc/owned", "x\n")
    try repo.write(
      "resources/p/files/box/etc/.infra-attrs.yaml", "files:\n  owned: { owner: nobody-here }\n")
    try repo.write("resources/p/files/box/bin/tool.d/inside", "y\n")
    _ = try target.write("bin/tool.d", "a file where a folder should be\n")
    let events = repo.appending("events.jsonl")
    let plan = try await Infra.run(["plan", "--events", events.path], in: repo.url)
    #expect(plan.code == 1, "\(plan)")
    #expect(
      plan.stdout.contains(
        "there is no user 'nobody-here' on box to own \(target.path)/etc/owned"),
      "\(plan)")
    // Found by the plan's one read, with no round trip of their own.
    let last = try #require(
      try String(contentsOf: events, encoding: .utf8).split(separator: "\n").last)
    let end = try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any]
    let stats = (end?["data"] as? [String: Any])?["stats"] as? [String: Any]
    #expect(
      (stats?["box"] as? [String: Any])?["round_trips"] as? [String: Int] == ["p/files": 1],
      "\(String(describing: stats))")
    #expect(
      plan.stdout.contains("\(target.path)/bin/tool.d is a file where a folder should be"),
      "\(plan)")
    withExtendedLifetime(host) {}
  }

  private func owner(_ url: URL) throws -> Int {
    try (FileManager.default.attributesOfItem(atPath: url.path)[.ownerAccountID] as? NSNumber)?
      .intValue ?? -1
  }

  private func backups(in target: TemporaryFolder) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: target.appending("etc").path)
      .filter { $0.hasPrefix("app.conf.") }
  }

  private func mode(_ url: URL) throws -> Int {
    let attributes = try FileManager.default.attributesOfItem(atPath: url.path)
    return (attributes[.posixPermissions] as? Int ?? -1) & 0o7777
  }

  private func inode(_ url: URL) throws -> UInt64 {
    let attributes = try FileManager.default.attributesOfItem(atPath: url.path)
    return try #require(attributes[.systemFileNumber] as? UInt64)
  }
}
