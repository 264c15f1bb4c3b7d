import Foundation
import InfraCore
import InfraEngine

/// Turns packages files into one resource per file and host it applies to.
///
/// Layout: `<host or @group>.yaml`, or any number of `<host or @group>/NAME.yaml`. Each
/// package of a host is decided by one file: the host's own files, then its named groups' in
/// its order, then `@all`'s; a host's own file wins silently, two named groups disagreeing
/// is an error, and agreeing groups leave it to the first.
struct PackagesLoader {
  var targets: HostTargets

  static let layout =
    "<host or @group>.yaml, or <host or @group>/NAME.yaml: install: [...], absent: [...]"

  struct Parsed {
    var resourceFile: ResourceFile
    var file: PackagesFile
  }

  func load(_ request: LoadRequest) -> LoadResponse {
    var response = LoadResponse()
    var byTarget: [String: [Parsed]] = [:]
    var checked: [String: Bool] = [:]
    for resourceFile in request.files.sorted(by: { $0.path < $1.path }) {
      guard let (target, file) = parse(resourceFile, into: &response) else { continue }
      if checked[target] == nil {
        checked[target] = targets.check(target, diagnostics: &response.diagnostics)
      }
      guard checked[target] == true else { continue }
      byTarget[target, default: []].append(Parsed(resourceFile: resourceFile, file: file))
    }
    for (target, files) in byTarget {
      checkRepeats(files, target: target, into: &response.diagnostics)
    }
    var reported: Set<String> = []
    for host in targets.hosts {
      response.resources += resources(
        of: host, byTarget, reported: &reported, diagnostics: &response.diagnostics)
    }
    response.resources += removals(request.removed, besides: response.resources)
    return response
  }

  /// One folder's files naming one package twice.
  private func checkRepeats(_ files: [Parsed], target: String, into diagnostics: inout [Diagnostic])
  {
    var first: [String: Parsed] = [:]
    for parsed in files {
      for named in parsed.file.packages {
        if let other = first[named.entry.name] {
          diagnostics.append(
            .error(
              "package '\(named.entry.name)' is named by \(parsed.resourceFile.path) and \(other.resourceFile.path), both for \(target)",
              at: named.location, hint: "keep it in one of them"))
        } else {
          first[named.entry.name] = parsed
        }
      }
    }
  }

  /// The resources of one host: each of its files with the packages it decides there.
  private func resources(
    of host: InventoryHost, _ byTarget: [String: [Parsed]], reported: inout Set<String>,
    diagnostics: inout [Diagnostic]
  ) -> [Resource] {
    let groups = host.groups.filter { $0 != Inventory.allGroup }.map { "@\($0)" }
    let tiers: [[String]] = [[host.name], groups, ["@\(Inventory.allGroup)"]]
    var decided: [String: (file: String, want: PackageWant)] = [:]
    var chosen: [String: [PackageEntry]] = [:]
    var notes: [String: [String]] = [:]
    var files: [Parsed] = []
    for tier in tiers {
      var inTier: [String: [(Parsed, PackageEntry, SourceLocation)]] = [:]
      for target in tier {
        for parsed in byTarget[target] ?? [] {
          files.append(parsed)
          for named in parsed.file.packages {
            inTier[named.entry.name, default: []].append((parsed, named.entry, named.location))
          }
        }
      }
      for (name, claims) in inTier.sorted(by: { $0.key < $1.key }) {
        if let earlier = decided[name] {
          for (parsed, _, _) in claims where parsed.resourceFile.path != earlier.file {
            notes[parsed.resourceFile.path, default: []].append(
              "\(name): \(earlier.file) decides it on \(host.name)")
          }
          continue
        }
        let wants = Set(claims.map { $0.1.want })
        if wants.count > 1 {
          let paths = claims.map(\.0.resourceFile.path)
          if reported.insert(paths.joined(separator: "\u{0}") + name).inserted {
            diagnostics.append(
              .error(
                "host \(host.name) gets package '\(name)' differently from \(paths.joined(separator: " and "))",
                at: claims[0].2,
                hint:
                  "say it in the host's own file, resources/\(targets.prefix)/\(targets.connector)/\(host.name).yaml, or in one group"
              ))
          }
          decided[name] = (paths[0], claims[0].1.want)
          continue
        }
        let owner = claims[0].0.resourceFile.path
        decided[name] = (owner, claims[0].1.want)
        chosen[owner, default: []].append(claims[0].1)
      }
    }
    return files.map { parsed in
      var desired = DesiredPackages()
      desired.packages = chosen[parsed.resourceFile.path] ?? []
      desired.allowDowngrade = parsed.file.allowDowngrade
      desired.allowHeld = parsed.file.allowHeld
      desired.startServices = parsed.file.startServices
      return Resource(
        address: parsed.resourceFile.address, host: host.name, sources: [parsed.resourceFile.path],
        desired: desired.json, notes: notes[parsed.resourceFile.path] ?? [])
    }
  }

  private func parse(_ resourceFile: ResourceFile, into response: inout LoadResponse)
    -> (String, PackagesFile)?
  {
    let segments = resourceFile.address.segments
    let name = segments[segments.count - 1]
    if let reason = HostTargets.unclaimedReason(name) {
      response.unclaimed.append((resourceFile, reason))
      return nil
    }
    guard segments.count == 2 || segments.count == 3, let stem = PostgresLoader.stem(name) else {
      response.diagnostics.append(
        .error(
          "\(resourceFile.path) is not where the packages connector looks for its files",
          at: resourceFile.location, hint: "lay files out as \(targets.connector)/\(Self.layout)"))
      return nil
    }
    switch YAMLFile.load(from: resourceFile.url, path: resourceFile.path) {
    case .failure(let diagnostic):
      response.diagnostics.append(diagnostic)
      return nil
    case .success(let yaml):
      let (file, diagnostics) = PackagesFile.read(yaml)
      response.diagnostics += diagnostics
      return file.map { (segments.count == 2 ? stem : segments[1], $0) }
    }
  }

  /// The packages that files deleted in git installed, to be removed from each of their
  /// hosts where no file still decides them.
  private func removals(_ files: [ResourceFile], besides declared: [Resource]) -> [Resource] {
    guard !files.isEmpty else { return [] }
    var decided: Set<[String]> = []
    for resource in declared {
      for entry in (try? DesiredPackages(json: resource.desired))?.packages ?? [] {
        decided.insert([resource.host, entry.name])
      }
    }
    var ignored = LoadResponse()
    var removals: [Resource] = []
    for resourceFile in files.sorted(by: { $0.path < $1.path }) {
      guard let (target, file) = parse(resourceFile, into: &ignored) else { continue }
      for host in targets.hosts(of: target) {
        var desired = DesiredPackages()
        desired.packages = file.packages.map(\.entry).filter { entry in
          entry.want != .absent && decided.insert([host.name, entry.name]).inserted
        }.map { PackageEntry(name: $0.name, want: .absent) }
        guard !desired.packages.isEmpty else { continue }
        removals.append(
          Resource(
            address: resourceFile.address, host: host.name, sources: [resourceFile.path],
            desired: desired.json, removed: true))
      }
    }
    return removals
  }
}
