import Foundation
import InfraCore
import InfraEngine

/// A resource file that declares one named thing of a host: a user, a group, a service.
protocol NamedResourceFile {
  /// What the file is, for messages: `a user file`.
  static var what: String { get }
  /// The thing's name, from the file name unless the file says `name:`.
  var name: String { get }
  var json: JSONValue { get }
  /// Reads a file named `stem.yaml`.
  static func read(_ yaml: YAMLFile, stem: String) -> (Self?, [Diagnostic])
  /// The same thing, wanted gone: what a file deleted in git plans.
  var removal: Self { get }
}

/// Loads `<connector>/<host or @group>/<NAME>.yaml` files, one named thing each: a host's own
/// file wins over its groups' files, two files naming one thing in one folder is an error, and
/// a file deleted in git plans the thing's removal unless another file still declares it.
struct NamedFilesLoader<File: NamedResourceFile> {
  var targets: HostTargets
  /// `<host or @group>/NAME.yaml`, for the hint of a misplaced file.
  var layout: String

  func load(_ request: LoadRequest) -> LoadResponse {
    var response = LoadResponse()
    var declared: [String: [String: HostTargets.Declared]] = [:]
    var checked: [String: Bool] = [:]
    for resourceFile in request.files.sorted(by: { $0.path < $1.path }) {
      guard let (target, file) = parse(resourceFile, into: &response) else { continue }
      if checked[target] == nil {
        checked[target] = targets.check(target, diagnostics: &response.diagnostics)
      }
      guard checked[target] == true else { continue }
      if let other = declared[target]?[file.name] {
        response.diagnostics.append(
          .error(
            "\(resourceFile.path) and \(other.sources[0]) both declare '\(file.name)'",
            at: resourceFile.location, hint: "keep one of them"))
        continue
      }
      declared[target, default: [:]][file.name] = HostTargets.Declared(
        address: resourceFile.address, desired: file.json, sources: [resourceFile.path])
    }
    response.resources = targets.assign(
      declared,
      describe: { key, host in
        ("'\(key)'", "resources/\(targets.prefix)/\(targets.connector)/\(host)/\(key).yaml")
      }, diagnostics: &response.diagnostics)
    response.resources += removals(request.removed, besides: response.resources)
    return response
  }

  /// The host or group folder of `resourceFile` and what it declares, or `nil` when it
  /// declares nothing (reported, or left unclaimed).
  private func parse(_ resourceFile: ResourceFile, into response: inout LoadResponse)
    -> (String, File)?
  {
    let segments = resourceFile.address.segments
    let name = segments[segments.count - 1]
    if let reason = HostTargets.unclaimedReason(name) {
      response.unclaimed.append((resourceFile, reason))
      return nil
    }
    guard segments.count == 3 else {
      response.diagnostics.append(
        .error(
          "\(resourceFile.path) is not where the \(targets.connector) connector looks for its files",
          at: resourceFile.location, hint: "lay files out as \(targets.connector)/\(layout)"))
      return nil
    }
    guard let stem = PostgresLoader.stem(name) else {
      response.diagnostics.append(
        .error(
          "\(resourceFile.path) is not a YAML file", at: resourceFile.location,
          hint: "\(File.what)s are YAML: name it \(name).yaml"))
      return nil
    }
    switch YAMLFile.load(from: resourceFile.url, path: resourceFile.path) {
    case .failure(let diagnostic):
      response.diagnostics.append(diagnostic)
      return nil
    case .success(let yaml):
      let (file, diagnostics) = File.read(yaml, stem: stem)
      response.diagnostics += diagnostics
      return file.map { (segments[1], $0) }
    }
  }

  /// What files deleted in git declared, to be removed, except where a file still declares
  /// the same thing for the host.
  private func removals(_ files: [ResourceFile], besides declared: [Resource]) -> [Resource] {
    guard !files.isEmpty else { return [] }
    // Every file's JSON has its thing's `name`.
    var taken = Set(
      declared.compactMap { resource in
        resource.desired["name"]?.stringValue.map { [resource.host, $0] }
      })
    var ignored = LoadResponse()
    var removals: [Resource] = []
    for resourceFile in files.sorted(by: { $0.path < $1.path }) {
      guard let (target, file) = parse(resourceFile, into: &ignored) else { continue }
      for host in targets.hosts(of: target)
      where taken.insert([host.name, file.name]).inserted {
        removals.append(
          Resource(
            address: resourceFile.address, host: host.name, sources: [resourceFile.path],
            desired: file.removal.json, removed: true))
      }
    }
    return removals
  }
}
