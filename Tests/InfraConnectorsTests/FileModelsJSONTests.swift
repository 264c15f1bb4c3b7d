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

  /// A desired file without its path, of a state there is not, or that is not an object, is
  /// malformed; one without a state is present.
  @Test func malformedDesiredFilesAreErrors() throws {
    #expect(throws: JSONFields.Malformed.self) {
      try DesiredFile(json: .object(["state": .string("present")]))
    }
    #expect(try DesiredFile(json: .object(["path": .string("/x")])).state == .present)
    #expect(throws: JSONFields.Malformed.self) {
      try DesiredFile(json: .object(["path": .string("/x"), "state": .string("half")]))
    }
    #expect(throws: JSONFields.Malformed.self) { try DesiredFile(json: .array([])) }
  }

  /// A live file goes to JSON and comes back, names with or without the host's names for them.
  @Test func liveFilesRoundTrip() throws {
    var live = LiveFile(
      kind: .file, mode: 0o644, uid: "0", gid: "1000", owner: "root", group: "1000", size: 5,
      sha256: "abc")
    #expect(try LiveFile(json: live.json) == live)
    live.kind = .blocked
    live.blockedBy = "/srv/private"
    live.sha256 = nil
    #expect(try LiveFile(json: live.json) == live)
    #expect(throws: JSONFields.Malformed.self) {
      try LiveFile(
        json: .object([
          "kind": .string("file"), "mode": .int(420), "ids": .string("0"),
          "names": .string("root:root"), "size": .int(1),
        ]))
    }
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
