import Foundation
import InfraCore
import InfraEngine
import InfraTestSupport
import Testing

/// How resource files become resources: targets, groups, overrides and attribute files.
@Suite struct FilesLayoutTests {
  let repo: TestRepository
  let harness: Harness

  init() throws {
    repo = try TestRepository("layout")
    harness = Harness(repo: repo)
    try repo.root.write(
      "infra.yaml",
      """
      version: 1
      hosts:
        web1: { connect: local, groups: [web, eu] }
        web2: { connect: local, groups: [web] }
        db1: { connect: local, groups: [eu] }
      prefixes:
        test:
          connectors:
            - name: files
              options: { root: \(repo.target.path) }
      """)
  }

  @Test func aHostsOwnFileWinsOverItsGroupsAndAGroupsOverAll() async throws {
    try repo.resource("@all/etc/motd", "everyone\n")
    try repo.resource("@web/etc/motd", "web servers\n")
    try repo.resource("web1/etc/motd", "only web1\n")
    let resources = try await harness.workspace().connectors[0].resources
    #expect(
      resources.map { "\($0.host) \($0.address.path) \($0.notes)" }.sorted() == [
        "db1 files/@all/etc/motd []",
        "web1 files/web1/etc/motd [\"overrides resources/test/files/@web/etc/motd\", \"overrides resources/test/files/@all/etc/motd\"]",
        "web2 files/@web/etc/motd [\"overrides resources/test/files/@all/etc/motd\"]",
      ])
  }

  @Test func twoGroupsGivingOneHostAPathIsAnError() async throws {
    try repo.resource("@web/etc/motd", "web\n")
    try repo.resource("@eu/etc/motd", "eu\n")
    let problems = await harness.problems()
    #expect(
      problems == [
        "resources/test/files/@web/etc/motd: error: host web1 gets \(repo.target.path)/etc/motd from more than one group: resources/test/files/@web/etc/motd, resources/test/files/@eu/etc/motd"
      ])
    // The host's own file settles it.
    try repo.resource("web1/etc/motd", "mine\n")
    #expect(await harness.problems().isEmpty)
  }

  @Test func unknownTargetsAndEditorLeftoversAreReported() async throws {
    try repo.resource("web9/etc/x", "x\n")
    try repo.resource("@dbs/etc/x", "x\n")
    try repo.resource("web1/etc/motd~", "backup\n")
    try repo.resource("web1/etc/.motd.swp", "swap\n")
    try repo.resource("README", "notes\n")
    let problems = await harness.problems()
    #expect(
      problems == [
        "resources/test/files/@dbs: error: resources/test/files/@dbs/ names the unknown group '@dbs'",
        "resources/test/files/README: warning: resources/test/files/README is not claimed by connector 'files': it is not inside a host or @group folder (files/<host>/<path>), so it is not managed",
        "resources/test/files/web1/etc/.motd.swp: warning: resources/test/files/web1/etc/.motd.swp is not claimed by connector 'files': it looks like an editor's swap file, so it is not managed",
        "resources/test/files/web1/etc/motd~: warning: resources/test/files/web1/etc/motd~ is not claimed by connector 'files': it looks like an editor's backup file, so it is not managed",
        "resources/test/files/web9: error: resources/test/files/web9/ names the unknown host 'web9'",
      ])
  }

  @Test func aHostTheConnectorDoesNotServeIsAnError() async throws {
    try repo.root.write(
      "infra.yaml",
      """
      version: 1
      hosts:
        web1: { connect: local }
        db1: { connect: local }
      prefixes:
        test:
          connectors:
            - name: files
              hosts: [web1]
      """)
    try repo.resource("db1/etc/x", "x\n")
    #expect(
      await harness.problems() == [
        "resources/test/files/db1: error: resources/test/files/db1/ is for host 'db1', which connector 'files' does not serve"
      ])
  }

  @Test func attributesInheritDownTheTreeAndPerFileEntriesWin() async throws {
    try repo.resource(".infra-attrs.yaml", "owner: \"0\"\n")
    try repo.resource("web1/.infra-attrs.yaml", "mode: \"0640\"\n")
    try repo.resource("web1/etc/a", "a\n")
    try repo.resource("web1/etc/app/b", "b\n")
    try repo.resource("web1/etc/app/c", "c\n")
    try repo.resource(
      "web1/etc/app/.infra-attrs.yaml",
      """
      group: "0"
      files:
        c: { mode: 600, owner: "1" }
        gone.conf: { state: absent }
      """)
    let resources = try await harness.workspace().connectors[0].resources
    func desired(_ path: String) -> String {
      guard let value = resources.first(where: { $0.address.path == "files/web1/\(path)" })?.desired
      else { return "missing" }
      let mode = value["mode"]?.intValue.map { String($0, radix: 8) } ?? "-"
      let owner = value["owner"]?.stringValue ?? "-"
      let group = value["group"]?.stringValue ?? "-"
      // Present unless it says otherwise.
      return "\(value["state"]?.stringValue ?? "present") \(mode) \(owner):\(group)"
    }
    #expect(desired("etc/a") == "present 640 0:-")
    #expect(desired("etc/app/b") == "present 640 0:0")
    #expect(desired("etc/app/c") == "present 600 1:0")
    #expect(desired("etc/app/gone.conf") == "absent - -:-")
    let b = try #require(resources.first { $0.address.path == "files/web1/etc/app/b" })
    #expect(
      b.sources == [
        "resources/test/files/web1/etc/app/b", "resources/test/files/.infra-attrs.yaml",
        "resources/test/files/web1/.infra-attrs.yaml",
        "resources/test/files/web1/etc/app/.infra-attrs.yaml",
      ])
  }

  @Test func attributeFileMistakesAreLocated() async throws {
    try repo.resource("web1/etc/present", "x\n")
    try repo.resource(
      "web1/etc/.infra-attrs.yaml",
      """
      mode: rw-r--r--
      ownr: root
      files:
        present: { state: absent }
        missing: { mode: "0600" }
        sub/file: { mode: "0600" }
        other: { state: gone }
      """)
    let problems = await harness.problems()
    let file = "resources/test/files/web1/etc/.infra-attrs.yaml"
    #expect(
      problems == [
        "\(file):1:7: error: 'rw-r--r--' is not a file mode",
        "\(file):2:1: error: unknown key 'ownr' in .infra-attrs.yaml",
        "\(file):4:3: error: resources/test/files/web1/etc/present gives content for a file that \(file) declares absent",
        "\(file):5:3: error: 'missing' has settings but no file in resources/test/files/web1/etc/",
        "\(file):6:3: error: 'sub/file' is not a file name in this folder",
        "\(file):7:3: error: 'other' has settings but no file in resources/test/files/web1/etc/",
        "\(file):7:19: error: 'state' must be 'present' or 'absent', not 'gone'",
      ])
  }

  @Test func theRootOptionMustBeAbsolute() async throws {
    try repo.root.write(
      "infra.yaml",
      """
      version: 1
      hosts:
        web1: { connect: local }
      prefixes:
        test:
          connectors:
            - name: files
              options:
                root: srv/app
      """)
    #expect(
      await harness.load().diagnostics.errors.map(\.description) == [
        "infra.yaml:9:11: error: option 'root' of connector 'files' must be an absolute path without '.' or '..', not 'srv/app'"
      ])
  }
}
