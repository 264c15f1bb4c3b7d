import Foundation
import InfraCore
import Yams

/// Reads one packages file: the packages to install (any version, `latest`, or a pinned
/// version), the packages to be absent, and what the file allows. Every problem is located.
///
/// ```yaml
/// install:
///   - nginx-light
///   - hello: "2.10-3"
///   - curl: latest
/// absent: [telnet]
/// ```
struct PackagesFile {
  /// A package and where the file names it.
  struct Named {
    var entry: PackageEntry
    var location: SourceLocation
  }

  var packages: [Named] = []
  var allowDowngrade = false
  var allowHeld = false
  var startServices = false

  static let keys = ["install", "absent", "allow_downgrade", "allow_held", "start_services"]

  static func read(_ yaml: YAMLFile) -> (PackagesFile?, [Diagnostic]) {
    var reader = YAMLReader(file: yaml)
    var file = PackagesFile()
    guard let root = yaml.root else { return (file, []) }
    guard let map = reader.mapping(root, for: "a packages file", keys: keys) else {
      return (nil, reader.diagnostics.all)
    }
    map.reportUnknownKeys(into: &reader)
    var seen: [String: SourceLocation] = [:]
    func add(_ name: String, _ want: PackageWant, at node: Node) {
      guard PackageNames.isValid(name) else {
        reader.error(
          "'\(name.clipped())' is not a Debian package name", at: node,
          hint: "package names are lowercase letters, digits and + . - (with :ARCH if needed)")
        return
      }
      if let first = seen[name] {
        reader.error(
          "package '\(name)' is named twice in this file", at: node,
          hint: "it is first named at line \(first.line ?? 0); keep one")
        return
      }
      seen[name] = reader.location(of: node)
      file.packages.append(
        Named(entry: PackageEntry(name: name, want: want), location: reader.location(of: node)))
    }
    for (key, kind) in [("install", "install"), ("absent", "absent")] {
      guard let node = map[key] else { continue }
      guard case .sequence(let items) = node else {
        reader.error(
          "expected a list for '\(key)', found \(YAMLReader.kind(of: node).rawValue)", at: node,
          hint: kind == "install"
            ? "install: [nginx-light, {hello: \"2.10-3\"}, {curl: latest}]" : "absent: [telnet]")
        continue
      }
      for item in items {
        let want =
          kind == "install"
          ? readInstall(item, reader: &reader)
          : reader.string(item, for: "an item of 'absent'", acceptingScalars: true).map {
            ($0, PackageWant.absent)
          }
        if let (name, want) = want { add(name, want, at: item) }
      }
    }
    for (key, path) in [
      ("allow_downgrade", \PackagesFile.allowDowngrade), ("allow_held", \.allowHeld),
      ("start_services", \.startServices),
    ] {
      if let node = map[key], let value = reader.bool(node, for: "'\(key)'") {
        file[keyPath: path] = value
      }
    }
    let diagnostics = reader.diagnostics.all
    return (diagnostics.contains { $0.severity == .error } ? nil : file, diagnostics)
  }

  /// One item of `install:`: a name, or a one-key mapping of a name to a version or `latest`.
  private static func readInstall(_ item: Node, reader: inout YAMLReader) -> (
    String, PackageWant
  )? {
    guard case .mapping(let mapping) = item else {
      return reader.string(item, for: "an item of 'install'", acceptingScalars: true).map {
        ($0, .present)
      }
    }
    guard mapping.count == 1, let (key, value) = mapping.first else {
      reader.error(
        "expected one package with its version, found \(mapping.count) keys", at: item,
        hint: "write each pinned package as its own item: - hello: \"2.10-3\"")
      return nil
    }
    guard let name = reader.string(key, for: "a package name", acceptingScalars: true),
      let version = reader.string(value, for: "the version of '\(name)'", acceptingScalars: true)
    else { return nil }
    if version == "latest" { return (name, .latest) }
    guard DebianVersion.isValid(version) else {
      reader.error(
        "'\(version.clipped())' is not a package version", at: value,
        hint: "a version as dpkg shows it (2.10-3, 1:2.0~rc1-1), or latest")
      return nil
    }
    return (name, .version(version))
  }
}
