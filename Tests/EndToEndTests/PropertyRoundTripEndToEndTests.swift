import Foundation
import InfraTestSupport
import PropertyBased
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// Generated names and contents go through `infra apply` and come out on the host exactly as
/// they went in, locally and over SSH; a second plan finds nothing to do; and no name is ever
/// run as a command (the names carry commands that would leave a `pwned` file behind).
@Suite struct PropertyRoundTripEndToEndTests {
  /// Pieces names are made of: what shells, quoting and option parsing trip on.
  static let pieces = [
    "a", "Z", "0", " ", "  ", "'", "\"", "\\", "\n", "\t", "\r", "$(id>pwned)", "`id>pwned`",
    ";id>pwned", "$HOME", "${PATH}", "-", "--", "-rf", "*", "?", "[a-z]", "{a,b}", "~", "!",
    "#", "%", "&", "|", ">", "<", "=", ":", ",", "@", "ü", "✓", "日本", "\u{202E}", "\u{FEFF}",
    ".", "..", "-n", "-e",
  ]

  /// A file name: one to six pieces, sometimes padded to about 250 bytes (a name may have 255).
  static let name = zip(
    Gen<String?>.element(of: pieces).map { $0 ?? "a" }.array(of: 1...6),
    Gen.bool(0.2)
  ).map { parts, long in
    var name = parts.joined()
    if long { name += String(repeating: "n", count: max(0, 250 - name.utf8.count)) }
    return name
  }

  /// Contents: any bytes, from none to a few KiB.
  static let content = Gen<UInt8>.value(in: 0...255).array(of: 0...3000).map { Data($0) }

  /// A few files: a name, whether it sits in a folder (itself a generated name), and content.
  static let files = zip(name, name.optional(valueRate: 0.3), content).array(of: 1...4)

  @Test func namesAndContentsRoundTripOnThisMachine() async throws {
    await propertyCheck(count: 40, input: Self.files) { files in
      do {
        let target = try TemporaryFolder("property-target")
        let locks = try TemporaryFolder("property-locks")
        try await roundTrip(
          files, to: target, locks: locks.path, host: "  box: { connect: local }", via: "box")
      } catch {
        Issue.record("\(error)")
      }
    }
  }

  @Test func namesAndContentsRoundTripOverSSH() async throws {
    let server = try SSHServer()
    await propertyCheck(count: 15, input: Self.files) { files in
      do {
        // The host keeps its locks where its login may write.
        let target = try SSHServer.ownedFolder("property-ssh-target")
        let locks = try SSHServer.ownedFolder("property-ssh-locks")
        try await roundTrip(
          files, to: target, locks: locks.path, host: server.hostYAML("box"), via: "box")
      } catch {
        Issue.record("\(error)")
      }
    }
  }

  /// Applies `files` to `target` through `host`, and checks what arrived and that nothing ran.
  private func roundTrip(
    _ generated: [(String, String?, Data)], to target: TemporaryFolder, locks: String,
    host: String, via name: String
  ) async throws {
    let repo = try TemporaryFolder("property-repo")
    try repo.write(
      "infra.yaml",
      """
      version: 1
      hosts:
      \(host)
      locks: { folder: \(locks) }
      prefixes:
        test:
          connectors:
            - name: files
              options: { root: \(target.path) }
      """)
    var expected: [String: Data] = [:]
    // Each file or folder at the top is named apart from the others (an index is added to a
    // name already taken), so that no file is also a folder.
    var taken: Set<String> = []
    for (index, (file, folder, content)) in generated.enumerated() {
      var top = Self.usable(folder ?? file)
      if taken.contains(top) { top += "\(index)" }
      taken.insert(top)
      let path = folder == nil ? top : top + "/" + Self.usable(file)
      expected[path] = content
      try repo.write("resources/test/files/\(name)/\(path)", data: content)
    }
    let shown = expected.keys.sorted().map { "\($0.debugDescription)" }.joined(separator: ", ")
    let apply = try await Infra.run(["apply", "--yes"], in: repo.url)
    #expect(apply.code == 0, "\(shown): \(apply)")
    for (path, content) in expected {
      #expect(try target.read(path) == content, "\(path.debugDescription) arrived changed")
    }
    #expect(target.files().count == expected.count, "\(shown): \(target.files())")
    let again = try await Infra.run(["plan", "--detailed-exitcode"], in: repo.url)
    #expect(again.code == 0, "\(shown): a second plan found changes: \(again)")
    for folder in [repo.path, target.path, NSHomeDirectory(), Self.loginHome, "/"] {
      #expect(
        !FileManager.default.fileExists(atPath: folder + "/pwned"), "\(shown): a name ran")
    }
  }

  /// `name` as a file the connector manages: not hidden, not an editor's backup, at most 240
  /// bytes (room for the index that keeps names apart).
  static func usable(_ name: String) -> String {
    var name = name
    while name.utf8.count > 240 { name.removeLast() }
    if name.hasPrefix(".") || name.hasPrefix("#") || name.isEmpty { name = "x" + name }
    if name.hasSuffix("~") { name += "x" }
    return name
  }

  /// The home folder of the SSH test login, where its shell starts.
  static let loginHome: String = {
    guard let entry = getpwnam(SSHServer.loginUser), let home = entry.pointee.pw_dir else {
      return "/nonexistent"
    }
    return String(cString: home)
  }()
}
