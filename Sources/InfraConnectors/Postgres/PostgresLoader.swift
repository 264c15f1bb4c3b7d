import Foundation
import InfraCore
import InfraEngine

/// Turns the files under `resources/<prefix>/<name>/` into one resource per object and host.
///
/// Layout, below a host or `@group` folder: `roles/ROLE.yaml`, `databases/DATABASE.yaml`,
/// `schemas/DATABASE/SCHEMA.yaml`, `grants/ROLE/DATABASE.yaml` (`grants/public/…` for
/// privileges every role has). A host's own file wins over its groups'.
struct PostgresLoader {
  let settings: PostgresConnector.Settings

  static let layout =
    "<host or @group>/roles/ROLE.yaml, databases/DATABASE.yaml, schemas/DATABASE/SCHEMA.yaml, grants/ROLE/DATABASE.yaml"

  func load(_ request: LoadRequest) async -> LoadResponse {
    var response = LoadResponse()
    var declared: [String: [String: HostTargets.Declared]] = [:]
    var checked: [String: Bool] = [:]
    var passwords: [String: (PostgresFile.PasswordSource, ResourceFile)] = [:]
    for file in request.files.sorted(by: { $0.path < $1.path }) {
      guard let (target, parsed) = parse(file, into: &response) else { continue }
      if checked[target] == nil {
        checked[target] = settings.targets.check(target, diagnostics: &response.diagnostics)
      }
      guard checked[target] == true else { continue }
      let key = parsed.desired.key
      if let other = declared[target]?[key] {
        response.diagnostics.append(
          .error(
            "\(file.path) and \(other.sources[0]) both declare \(parsed.desired.shown)",
            at: file.location, hint: "keep one of them"))
        continue
      }
      if let source = parsed.password { passwords[source.described] = (source, file) }
      declared[target, default: [:]][key] = HostTargets.Declared(
        address: file.address, desired: parsed.desired.json, sources: [file.path])
    }
    response.resources = settings.targets.assign(
      declared,
      describe: { key, host in
        let shown =
          declared.values.compactMap { $0[key] }.first
          .flatMap { try? PostgresDesired(json: $0.desired).shown } ?? key
        return (shown, "resources/\(settings.prefix)/\(settings.name)/\(host)/…")
      }, diagnostics: &response.diagnostics)
    response.resources += removals(request.removed, besides: response.resources)
    for (source, file) in passwords.values {
      if let warning = await settings.passwords.resolve(source, settings: settings, for: file) {
        response.diagnostics.append(warning)
      }
    }
    return response
  }

  /// The host or group folder of `file` and what it declares, or `nil` when it declares
  /// nothing (reported, or left unclaimed).
  private func parse(_ file: ResourceFile, into response: inout LoadResponse)
    -> (String, PostgresFile)?
  {
    let segments = file.address.segments
    let name = segments[segments.count - 1]
    if let reason = FilesLoader.unclaimedReason(name)
      ?? (Self.notes.contains(name) || name.hasSuffix(".md")
        ? "it keeps a folder in git or explains it, and is not a postgres object" : nil)
    {
      response.unclaimed.append((file, reason))
      return nil
    }
    let kinds = PostgresDesired.Kind.allCases
    guard segments.count >= 4, let kind = kinds.first(where: { $0.folder == segments[2] }),
      segments.count == (kind == .role || kind == .database ? 4 : 5)
    else {
      response.diagnostics.append(
        .error(
          "\(file.path) is not where the postgres connector looks for its files",
          at: file.location, hint: "lay files out as \(settings.name)/\(Self.layout)"))
      return nil
    }
    guard let stem = Self.stem(name) else {
      response.diagnostics.append(
        .error(
          "\(file.path) is not a YAML file", at: file.location,
          hint:
            "postgres resource files are YAML: name it \(name.split(separator: ".").first ?? "NAME").yaml (a password belongs in `password: {file: …}`)"
        ))
      return nil
    }
    switch YAMLFile.load(from: file.url, path: file.path) {
    case .failure(let diagnostic):
      response.diagnostics.append(diagnostic)
      return nil
    case .success(let yaml):
      let names = Array(segments[3..<(segments.count - 1)]) + [stem]
      let (parsed, diagnostics) = PostgresFile.read(yaml, kind: kind, names: names)
      response.diagnostics += diagnostics
      return parsed.map { (segments[1], $0) }
    }
  }

  static func stem(_ name: String) -> String? {
    for suffix in [".yaml", ".yml"] where name.hasSuffix(suffix) && name.count > suffix.count {
      return String(name.dropLast(suffix.count))
    }
    return nil
  }

  static let notes: Set<String> = [".gitkeep", ".keep", "README"]

  /// The objects that files deleted in git declared, to be dropped or revoked, except where a
  /// file still declares the same object for the host.
  private func removals(_ files: [ResourceFile], besides declared: [Resource]) -> [Resource] {
    guard !files.isEmpty else { return [] }
    var taken: Set<[String]> = []
    for resource in declared {
      if let desired = try? PostgresDesired(json: resource.desired) {
        taken.insert([resource.host, desired.key])
      }
    }
    var ignored = LoadResponse()
    var removals: [Resource] = []
    for file in files.sorted(by: { $0.path < $1.path }) {
      guard let (target, parsed) = parse(file, into: &ignored) else { continue }
      var desired = parsed.desired
      desired.absent = true
      desired.role?.password = nil
      for host in settings.targets.hosts(of: target)
      where taken.insert([host.name, desired.key]).inserted {
        removals.append(
          Resource(
            address: file.address, host: host.name, sources: [file.path], desired: desired.json,
            removed: true))
      }
    }
    return removals
  }
}
