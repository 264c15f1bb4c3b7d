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
    // The content's facts in one field when all are known, one field each otherwise.
    var binary = DesiredFile(
      path: "/bin/x", state: .present, source: "s", sha256: "ab", size: 3, isText: false,
      lines: 0)
    #expect(binary.json["content"] == .string("ab:3:0:binary"))
    #expect(try DesiredFile(json: binary.json) == binary)
    binary.lines = nil
    #expect(binary.json["content"] == nil)
    #expect(try DesiredFile(json: binary.json) == binary)
    for content in ["ab:3:0", "ab:x:0:text", "ab:3:0:words", "ab:3:0:text:more"] {
      #expect(throws: JSONFields.Malformed.self) {
        try DesiredFile(json: .object(["path": .string("/x"), "content": .string(content)]))
      }
    }
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

  /// A live file goes to JSON and comes back, names with or without the host's names for them,
  /// a link's target or a blocking folder holding colons.
  @Test func liveFilesRoundTrip() throws {
    var live = LiveFile(
      kind: .file, mode: 0o644, uid: "0", gid: "1000", owner: "root", group: "1000", size: 5,
      sha256: "abc")
    #expect(try LiveFile(json: live.json) == live)
    live.kind = .blocked
    live.blockedBy = "/srv/pri:vate"
    live.sha256 = nil
    #expect(try LiveFile(json: live.json) == live)
    live = LiveFile(
      kind: .symlink, mode: 0o777, uid: "0", gid: "0", owner: "root", group: "root", size: 0,
      linkTarget: "")
    #expect(try LiveFile(json: live.json) == live)
    live.linkTarget = "a:b:c:d:e:f:g:h:i"
    #expect(try LiveFile(json: live.json) == live)
    // A colon followed by a combining accent is one character, but still a separator.
    live.owner = "\u{301}x"
    live.linkTarget = ":\u{301}é:"
    #expect(try LiveFile(json: live.json) == live)
    for malformed in [
      "file:0644:0:0:root:root:1", "file:0649:0:0:root:root:1:-", "fil:0644:0:0:root:root:1:-",
      "file:0644:0:0:root:root:x:-",
    ] {
      #expect(throws: JSONFields.Malformed.self) { try LiveFile(json: .string(malformed)) }
    }
    #expect(throws: JSONFields.Malformed.self) { try LiveFile(json: .object([:])) }
  }

  /// A live file's state line, its fingerprint, names everything planning compares.
  @Test func liveFingerprints() {
    var live = LiveFile(
      kind: .file, mode: 0o644, uid: "0", gid: "0", owner: "root", group: "wheel", size: 5,
      sha256: "abc")
    #expect(live.line == "file:0644:0:0:root:wheel:5:abc")
    live.sha256 = nil
    live.kind = .symlink
    live.linkTarget = "/t"
    #expect(live.line == "symlink:0644:0:0:root:wheel:5:-:/t")
  }
}
