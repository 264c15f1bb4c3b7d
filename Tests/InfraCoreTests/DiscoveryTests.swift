import Foundation
import InfraCore
import InfraTestSupport
import Testing

@Suite struct DiscoveryTests {
  let folder: TemporaryFolder

  init() throws {
    folder = try TemporaryFolder("discovery")
    try folder.write(
      "infra.yaml",
      """
      version: 1
      hosts:
        local: { connect: local }
      prefixes:
        prod:
          connectors:
            - name: files
            - name: packages
              type: files
      """)
  }

  func discover() throws -> Discovery.Result {
    let repository = Repository(root: folder.url)
    let (config, diagnostics) = ConfigLoader.load(from: repository.configURL)
    #expect(diagnostics.isEmpty)
    return Discovery(repository: repository, config: try #require(config)).run()
  }

  @Test func routesFilesToTheirConnectorByFirstSegment() throws {
    try folder.write("resources/prod/files/local/etc/motd", "hi\n")
    try folder.write("resources/prod/files/local/home/me/.bashrc", "alias ll='ls -l'\n")
    try folder.write("resources/prod/packages/local/base", "curl\n")
    let result = try discover()
    #expect(result.diagnostics.isEmpty)
    #expect(
      result.files.map(\.address.description) == [
        "prod/files/local/etc/motd",
        "prod/files/local/home/me/.bashrc",
        "prod/packages/local/base",
      ])
    #expect(result.files[0].address.connector == "files")
    #expect(result.files[0].path == "resources/prod/files/local/etc/motd")
  }

  @Test func unclaimedFilesAreWarningsThatNameThem() throws {
    try folder.write("resources/prod/NOTES.md", "todo\n")
    try folder.write("resources/staging/files/local/x", "x\n")
    try folder.write("resources/staging/files/local/y", "y\n")
    try folder.write("resources/README", "\n")
    let result = try discover()
    #expect(result.files.isEmpty)
    #expect(result.diagnostics.errors.isEmpty)
    #expect(
      result.diagnostics.warnings.map(\.description) == [
        "resources/README: warning: resources/README is not inside a prefix folder, so it is not managed",
        "resources/prod/NOTES.md: warning: resources/prod/NOTES.md is not claimed by any connector of prefix 'prod', so it is not managed",
        "resources/staging: warning: resources/staging/ is not a prefix in infra.yaml; its 2 files are not managed",
      ])
  }

  @Test func symbolicLinksMayNotLeaveTheRepository() throws {
    let outside = try TemporaryFolder("outside")
    try outside.write("secret", "s3cret\n")
    try folder.write("shared/banner", "hello\n")
    try folder.write("resources/prod/files/local/etc/placeholder", "\n")
    let etc = folder.appending("resources/prod/files/local/etc")
    try FileManager.default.createSymbolicLink(
      atPath: etc.appending(path: "leak").path,
      withDestinationPath: outside.appending("secret").path)
    try FileManager.default.createSymbolicLink(
      atPath: etc.appending(path: "banner").path,
      withDestinationPath: "../../../../../shared/banner")
    try FileManager.default.createSymbolicLink(
      atPath: etc.appending(path: "loop").path, withDestinationPath: "..")
    let result = try discover()
    #expect(
      result.files.map(\.address.path) == ["files/local/etc/banner", "files/local/etc/placeholder"])
    #expect(result.files[0].url.path.hasSuffix("/shared/banner"))
    let errors = result.diagnostics.errors.map(\.message)
    #expect(errors.count == 2, "\(errors)")
    #expect(
      errors.contains {
        $0.hasPrefix(
          "resources/prod/files/local/etc/leak is a symbolic link that leads outside the repository"
        )
      })
    #expect(errors.contains("resources/prod/files/local/etc/loop links back to a folder above it"))
  }
}

@Suite struct AddressPatternTests {
  let repository = Repository(root: URL(fileURLWithPath: "/repo"))

  func pattern(_ argument: String, from directory: String = "/repo") -> String {
    switch repository.pattern(
      for: argument, from: URL(fileURLWithPath: directory), prefixes: ["prod", "demo"])
    {
    case .success(let pattern): pattern.description
    case .failure(let diagnostic): "error: \(diagnostic.message)"
    }
  }

  @Test func pathsAndAddressesBecomePatterns() {
    #expect(pattern("resources/prod/files/web1") == "resources/prod/files/web1")
    #expect(
      pattern("files/web1/etc/motd", from: "/repo/resources/prod")
        == "resources/prod/files/web1/etc/motd")
    #expect(pattern("/repo/resources/demo") == "resources/demo")
    #expect(pattern("prod/files/web1/etc/motd") == "resources/prod/files/web1/etc/motd")
    #expect(pattern("resources/prod/files/../files/a") == "resources/prod/files/a")
  }

  @Test func nothingOutsideAPrefixIsAccepted() {
    #expect(
      pattern("resources/prod/../../etc/passwd").hasPrefix(
        "error: 'resources/prod/../../etc/passwd' is not inside resources/<prefix>/"))
    #expect(
      pattern("resources/other/x") == "error: 'resources/other/x' is not inside a prefix folder")
    #expect(pattern("resources") == "error: 'resources' is not inside a prefix folder")
    #expect(pattern("prod/../etc").hasPrefix("error:"))
    #expect(pattern("/etc/passwd").hasPrefix("error:"))
  }

  @Test func addressesMatchTheirFoldersOnly() {
    let pattern = AddressPattern(prefix: "prod", segments: ["files", "web1"])
    #expect(pattern.matches(Address(prefix: "prod", segments: ["files", "web1", "etc", "motd"])))
    #expect(!pattern.matches(Address(prefix: "prod", segments: ["files", "web10", "x"])))
    #expect(!pattern.matches(Address(prefix: "demo", segments: ["files", "web1", "x"])))
  }

  /// Addresses sort by prefix, then segment by segment in UTF-8 byte order: a folder's
  /// resources stay together, `é` (0xC3) comes after `z`, a shorter segment first.
  @Test func addressesSortSegmentBySegmentInByteOrder() {
    let segments = [
      ["files", "web1", "a"], ["files", "web1", "ab"], ["files", "web1", "z"],
      ["files", "web1", "é"], ["files", "web1", "é", "x"], ["files", "web1-a"],
      ["files", "web1.b"], ["files", "web10"],
    ]
    let addresses = segments.map { Address(prefix: "prod", segments: $0) }
    var random = SeededGenerator(seed: 3)
    for _ in 0..<20 {
      #expect(addresses.shuffled(using: &random).sorted() == addresses)
    }
    #expect(Address(prefix: "demo", segments: ["z"]) < Address(prefix: "prod", segments: ["a"]))
  }
}

@Suite struct JSONSerializationTests {
  /// The fast serializer writes what JSONEncoder would, and what it writes parses back.
  @Test func serializedJSONMatchesFoundationsEncoder() throws {
    let value = JSONValue.object([
      "b": .array([.int(1), .double(2.5), .bool(true), .null]),
      "a": .string("quote \" backslash \\ newline \n tab \t bell \u{07} / ünï ✓"),
      "nested": .object(["z": .string(""), "y": .int(-3)]),
    ])
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    let expected = String(decoding: try encoder.encode(value), as: UTF8.self)
    #expect(value.serialized == expected)
    #expect(try JSONDecoder().decode(JSONValue.self, from: Data(value.serialized.utf8)) == value)
  }
}
