import Foundation
import InfraCLI
import InfraConnectors
import InfraCore
import InfraEngine
import InfraTestSupport
import InfraTransport
import Testing

/// Golden files for what users read: each folder under `Tests/InfraCLITests/Fixtures/` is a
/// repository (`infra.yaml` with `__TARGET__` for the target folder, `resources/`), a `live.sh`
/// that prepares the target folder, and the plan's renderings `expected.txt` and
/// `expected.json`, checked as golden files (`Golden`).
@Suite struct GoldenPlanTests {
  static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appending(path: "Fixtures")

  static var cases: [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: fixtures.path)) ?? []).sorted()
  }

  /// An unreadable or empty Fixtures folder would leave the test below with no case at all,
  /// passing without checking anything.
  @Test func theFixturesAreFound() throws {
    #expect(Self.cases.count >= 4, "found \(Self.cases) in \(Self.fixtures.path)")
    for name in Self.cases {
      let config = Self.fixtures.appending(path: "\(name)/infra.yaml").path
      #expect(FileManager.default.fileExists(atPath: config), "\(name) has no infra.yaml")
    }
  }

  @Test(arguments: cases)
  func planRenderingsMatchTheGoldenFiles(_ name: String) async throws {
    let fixture = Self.fixtures.appending(path: name)
    let repo = try TemporaryFolder("golden-\(name)-repo")
    let target = try TemporaryFolder("golden-\(name)-target")
    try copy(fixture.appending(path: "resources"), to: repo.appending("resources"))
    let config = try String(contentsOf: fixture.appending(path: "infra.yaml"), encoding: .utf8)
    try repo.write("infra.yaml", config.replacingOccurrences(of: "__TARGET__", with: target.path))
    let setup = fixture.appending(path: "live.sh")
    if FileManager.default.fileExists(atPath: setup.path) {
      try runShell(setup.path, in: target.url)
    }

    let outcome = await WorkspaceLoader(registry: .builtin).load(Repository(root: repo.url))
    let workspace = try #require(outcome.workspace, "\(outcome.diagnostics.all.map(\.description))")
    var settings = RunSettings()
    settings.transports = StandardTransports()
    let plan = try await Run(PlanJob(), in: workspace, settings: settings).start().output

    let text = PlanRenderer(style: .plain).render(plan)
    let json = String(decoding: try normalized(PlanDocument(plan)).encoded(), as: UTF8.self)
    try Golden.check(
      text.replacingOccurrences(of: target.path, with: "__TARGET__"),
      "Fixtures/\(name)/expected.txt")
    try Golden.check(
      json.replacingOccurrences(of: target.path, with: "__TARGET__"),
      "Fixtures/\(name)/expected.json")

    // On a terminal, the same text with each diff line's color around it.
    let colored = PlanRenderer(style: Styler(enabled: true)).render(plan)
    #expect(colored.replacing(#/\x1B\[[0-9;]*m/#, with: "") == text)
    let pairs = zip(text.split(separator: "\n"), colored.split(separator: "\n"))
    for (plain, line) in pairs where plain.hasPrefix("    +") && !plain.hasPrefix("    +++") {
      #expect(line == "    \u{1B}[32m" + plain.dropFirst(4) + "\u{1B}[0m")
    }
  }

  /// Replaces the running user's ids and names, which end up in fingerprints and payloads, so
  /// the golden files do not depend on who runs the tests.
  func normalized(_ document: PlanDocument) -> PlanDocument {
    let uid = String(geteuid())
    let gid = String(getegid())
    let user = getpwuid(geteuid()).map { String(cString: $0.pointee.pw_name) } ?? uid
    let group = getgrgid(getegid()).map { String(cString: $0.pointee.gr_name) } ?? gid
    var document = document
    for index in document.changes.indices {
      var parts = document.changes[index].liveFingerprint.split(
        separator: ":", omittingEmptySubsequences: false
      ).map(String.init)
      // KIND:MODE:UID:GID:OWNER:GROUP:…
      if parts.count >= 6 {
        if parts[2] == uid { parts[2] = "__UID__" }
        if parts[3] == gid { parts[3] = "__GID__" }
        if parts[4] == user { parts[4] = "__USER__" }
        if parts[5] == group { parts[5] = "__GROUP__" }
      }
      document.changes[index].liveFingerprint = parts.joined(separator: ":")
      if case .object(var payload) = document.changes[index].payload {
        if payload["owner"] == .string(uid) { payload["owner"] = .string("__UID__") }
        if payload["group"] == .string(gid) { payload["group"] = .string("__GID__") }
        document.changes[index].payload = .object(payload)
      }
    }
    return document
  }

  func copy(_ source: URL, to destination: URL) throws {
    guard FileManager.default.fileExists(atPath: source.path) else { return }
    try FileManager.default.copyItem(at: source, to: destination)
  }

  func runShell(_ script: String, in folder: URL) throws {
    #expect(
      try ChildProcess.run("/bin/sh", [script], directory: folder.path) == 0, "\(script) failed")
  }
}
