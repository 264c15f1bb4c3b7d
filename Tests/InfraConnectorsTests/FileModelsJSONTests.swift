import Foundation
import InfraCore
import Testing

@testable import InfraConnectors

@Suite struct FileModelsJSONTests {
  /// Every field a desired file can have goes to JSON and comes back, as do the fewest.
  @Test func desiredFilesRoundTrip() throws {
    let full = DesiredFile(
      path: "/etc/app.conf", state: .present, source: "resources/p/files/web1/etc/app.conf",
      sha256: String(repeating: "a", count: 64), size: 12, isText: true, lines: 2, mode: 0o640,
      owner: "app", group: "0", declaredIn: "a.yaml", deletedFile: "b", sensitive: true,
      encrypted: false, template: true, validate: "check %s", onChange: ["a", "b"],
      backup: true, link: "/x", replace: false, folder: false, unavailable: "why")
    #expect(try DesiredFile(json: full.json) == full)
    let least = DesiredFile(path: "/gone", state: .absent)
    #expect(try DesiredFile(json: least.json) == least)
  }

  /// A desired file without its path or state, or that is not an object, is malformed.
  @Test func malformedDesiredFilesAreErrors() {
    #expect(throws: JSONFields.Malformed.self) {
      try DesiredFile(json: .object(["state": .string("present")]))
    }
    #expect(throws: JSONFields.Malformed.self) {
      try DesiredFile(json: .object(["path": .string("/x")]))
    }
    #expect(throws: JSONFields.Malformed.self) {
      try DesiredFile(json: .object(["path": .string("/x"), "state": .string("half")]))
    }
    #expect(throws: JSONFields.Malformed.self) { try DesiredFile(json: .array([])) }
  }

  /// A live file's fingerprint names everything planning compares.
  @Test func liveFingerprints() {
    var live = LiveFile(
      kind: .file, mode: 0o644, uid: "0", gid: "0", owner: "root", group: "root", size: 5,
      sha256: "abc")
    #expect(live.fingerprint == "file:0644:0:0:5:abc")
    live.sha256 = nil
    live.kind = .symlink
    live.linkTarget = "/t"
    #expect(live.fingerprint == "symlink:0644:0:0:5:-:" + SHA256Hex.of(Data("/t".utf8)))
  }
}
