import Foundation
import InfraCore
import InfraEngine

/// Turns the files under `resources/<prefix>/<name>/` into one resource per path and host.
///
/// Layout: `<host or @group>/<path on the host>`. A host's own file wins over its groups' files,
/// a named group's over `@all`'s; two named groups giving one host the same path is an error.
/// `.infra-attrs.yaml` files set mode, owner and group for their folder and below.
struct FilesLoader {
  let settings: FilesConnector.Settings
  /// The content of each `.age` file, decrypted, or why it could not be, by repository path.
  var decrypted: [String: Result<Data, AgeCipher.Failure>] = [:]

  /// One host or group folder and what it holds.
  struct Tree {
    var target: String
    var files: [String: ResourceFile] = [:]
    /// Attribute files by the folder they sit in, relative to the tree ("" for its top).
    var attributes: [String: AttributesFile] = [:]
    /// Folders declared by a `.gitkeep` or `.keep` in them, or by being empty, with the
    /// repository path that declares each.
    var folders: [String: String] = [:]
    /// The first file seen, to point diagnostics at.
    var firstFile: ResourceFile
  }

  /// A path declared by one tree, before it is given to hosts.
  typealias Declared = HostTargets.Declared

  func load(_ request: LoadRequest) -> LoadResponse {
    var response = LoadResponse()
    var trees: [String: Tree] = [:]
    var shared: AttributesFile?

    for file in request.files {
      let segments = file.address.segments
      let name = segments[segments.count - 1]
      if let reason = FilesLoader.unclaimedReason(name) {
        response.unclaimed.append((file, reason))
        continue
      }
      if Self.folderMarkers.contains(name) {
        // Never installed: it declares its folder (the host's own folder is the root).
        if segments.count > 3 {
          let target = segments[1]
          if trees[target] == nil { trees[target] = Tree(target: target, firstFile: file) }
          trees[target]!.folders[segments[2..<(segments.count - 1)].joined(separator: "/")] =
            file.path
        }
        continue
      }
      if segments.count == 2 {
        if name == AttributesFile.fileName {
          shared = loadAttributes(file, into: &response)
        } else {
          response.unclaimed.append(
            (file, "it is not inside a host or @group folder (\(settings.name)/<host>/<path>)"))
        }
        continue
      }
      let target = segments[1]
      // Mutated in place: copying a tree out and back would copy its dictionary every time.
      if trees[target] == nil { trees[target] = Tree(target: target, firstFile: file) }
      let relative = segments[2...]
      if name == AttributesFile.fileName {
        if let attributes = loadAttributes(file, into: &response) {
          trees[target]!.attributes[relative.dropLast().joined(separator: "/")] = attributes
        }
      } else {
        // `app.key.age` is `app.key` on hosts, decrypted.
        let path = AgeCipher.clearName(relative.joined(separator: "/"))
        if let other = trees[target]!.files[path] {
          response.diagnostics.append(
            .error(
              "\(file.path) and \(other.path) both declare \(settings.hostPath(path))",
              at: file.location, hint: "keep one of them: the encrypted one, if it is a secret"))
          continue
        }
        trees[target]!.files[path] = file
      }
    }

    addEmptyFolders(request.emptyFolders, to: &trees)
    var declared: [String: [String: Declared]] = [:]
    for (target, tree) in trees.sorted(by: { $0.key < $1.key }) {
      guard targets.check(tree.target, diagnostics: &response.diagnostics) else { continue }
      declared[target] = declare(tree, shared: shared, diagnostics: &response.diagnostics)
      declareFolders(
        tree, shared: shared, into: &declared[target]!, diagnostics: &response.diagnostics)
    }
    response.resources = assign(declared, diagnostics: &response.diagnostics)
    response.resources += removals(request.removed, besides: response.resources)
    return response
  }

  /// The files that content files deleted in git used to put on hosts, to be removed, except
  /// where another file still declares the same path for the host (a rename into a group
  /// folder, or a host file given up for its group's): that is an update, not a deletion.
  private func removals(_ files: [ResourceFile], besides declared: [Resource]) -> [Resource] {
    guard !files.isEmpty else { return [] }
    var taken: Set<[String]> = []
    for resource in declared {
      if let path = try? DesiredFile(json: resource.desired).path {
        taken.insert([resource.host, path])
      }
    }
    var removals: [Resource] = []
    // A host's own file before its groups', so that the plan names the file it really had.
    let rank = { (file: ResourceFile) in file.address.segments[1].hasPrefix("@") ? 1 : 0 }
    for file in files.filter({ $0.address.segments.count > 2 }).sorted(by: {
      (rank($0), $0) < (rank($1), $1)
    }) {
      let segments = file.address.segments
      let name = segments[segments.count - 1]
      guard name != AttributesFile.fileName, !Self.folderMarkers.contains(name),
        FilesLoader.unclaimedReason(name) == nil
      else { continue }
      let target = segments[1]
      let hosts = targets.hosts(of: target)
      var relative = AgeCipher.clearName(segments[2...].joined(separator: "/"))
      if Self.isTemplateName(relative) { relative.removeLast(9) }
      let path = settings.hostPath(relative)
      for host in hosts where taken.insert([host.name, path]).inserted {
        let encrypted = AgeCipher.isEncrypted(file.path)
        let desired = DesiredFile(
          path: path, state: .absent, deletedFile: file.path, sensitive: encrypted ? true : nil)
        removals.append(
          Resource(
            address: file.address, host: host.name, sources: [file.path], desired: desired.json,
            removed: true, sensitive: encrypted))
      }
    }
    return removals
  }

  /// Editor leftovers are not resources: a warning says so instead of copying them to hosts.
  static func unclaimedReason(_ name: String) -> String? {
    if name.hasSuffix("~") || (name.hasPrefix("#") && name.hasSuffix("#") && name.count > 1)
      || name.hasPrefix(".#")
    {
      return "it looks like an editor's backup file"
    }
    if name.hasPrefix("."), [".swp", ".swo", ".swx"].contains(where: name.hasSuffix) {
      return "it looks like an editor's swap file"
    }
    return nil
  }

  private func loadAttributes(_ file: ResourceFile, into response: inout LoadResponse)
    -> AttributesFile?
  {
    let (attributes, diagnostics) = AttributesFile.load(file)
    response.diagnostics += diagnostics
    return attributes
  }

  /// Every path the tree declares, present or absent, with its attributes resolved.
  private func declare(_ tree: Tree, shared: AttributesFile?, diagnostics: inout [Diagnostic])
    -> [String: Declared]
  {
    var declared: [String: Declared] = [:]
    var inherited: [String: Inherited] = [:]
    let digests = digests(of: tree)
    // The names sorted, not the entries: a sorted copy of 10,000 entries was a megabyte.
    for relative in tree.files.keys.sorted() {
      let file = tree.files[relative]!
      let slash = relative.lastIndex(of: "/")
      let folder = slash.map { String(relative[..<$0]) } ?? ""
      let name = slash.map { String(relative[relative.index(after: $0)...]) } ?? relative
      let (attributes, sources, entry) = resolveAttributes(
        tree, shared: shared, folder: folder, name: name, inherited: &inherited)
      if entry?.state == .absent {
        diagnostics.append(
          .error(
            "\(file.path) gives content for a file that \(entry!.location.file) declares absent",
            at: entry!.location, hint: "remove the file or the `state: absent`"))
        continue
      }
      let template = attributes.template ?? Self.isTemplateName(name)
      // `motd.mustache` renders into `motd`.
      let onHost = template && Self.isTemplateName(name) ? String(relative.dropLast(9)) : relative
      if let other = declared[onHost] {
        diagnostics.append(
          .error(
            "\(file.path) and \(other.sources[0]) both declare \(settings.hostPath(onHost))",
            at: file.location, hint: "keep one of them: the template, if the file differs per host")
        )
        continue
      }
      let encrypted = AgeCipher.isEncrypted(file.path)
      var desired = DesiredFile(
        path: settings.hostPath(onHost), state: .present, source: file.path,
        mode: attributes.mode, owner: attributes.owner, group: attributes.group,
        sensitive: encrypted || attributes.sensitive == true ? true : nil,
        encrypted: encrypted ? true : nil, template: template ? true : nil,
        validate: attributes.validate, onChange: attributes.onChange?.nilIfEmpty,
        backup: attributes.backup == true ? true : nil,
        replace: attributes.replace == true ? true : nil)
      guard
        template
          ? describeTemplate(file, in: &desired, diagnostics: &diagnostics)
          : describeContent(
            of: file, digest: digests[relative], in: &desired, diagnostics: &diagnostics)
      else { continue }
      declared[onHost] = Declared(
        address: file.address, file: desired, sources: [file.path] + sources)
    }
    for (folder, attributesFile) in tree.attributes {
      for (name, entry) in attributesFile.files.sorted(by: { $0.key < $1.key }) {
        let relative = folder.isEmpty ? name : "\(folder)/\(name)"
        let segments =
          [settings.name, tree.target] + relative.split(separator: "/").map(String.init)
        if let target = entry.link {
          guard tree.files[relative] == nil, tree.files[relative + ".mustache"] == nil else {
            diagnostics.append(
              .error(
                "'\(name)' is declared a symbolic link, and \(FilesLoader.folderPath(attributesFile.path)) has a file of that name",
                at: entry.location, hint: "keep one of them: the file, or the `link:`"))
            continue
          }
          let replace = resolveAttributes(tree, shared: shared, folder: folder, name: name).0
            .replace
          declared[relative] = Declared(
            address: Address(prefix: settings.prefix, segments: segments),
            file: DesiredFile(
              path: settings.hostPath(relative), state: .present, declaredIn: attributesFile.path,
              link: target, replace: replace == true ? true : nil),
            sources: [attributesFile.path])
        } else if entry.state == .absent {
          // Reported above.
          if tree.files[relative] != nil || tree.files[relative + ".mustache"] != nil { continue }
          declared[relative] = Declared(
            address: Address(prefix: settings.prefix, segments: segments),
            file: DesiredFile(
              path: settings.hostPath(relative), state: .absent, declaredIn: attributesFile.path,
              // As inherited from the folders above, as for a file with content: a sensitive
              // file to delete shows no diff of what the host has.
              sensitive: resolveAttributes(tree, shared: shared, folder: folder, name: name).0
                .sensitive),
            sources: [attributesFile.path])
        } else if tree.files[AgeCipher.clearName(relative)] == nil,
          tree.files[AgeCipher.clearName(relative) + ".mustache"] == nil
        {
          diagnostics.append(
            .error(
              "'\(name)' has settings but no file in \(FilesLoader.folderPath(attributesFile.path))",
              at: entry.location,
              hint:
                "add the file next to \(AttributesFile.fileName), or set `state: absent` to remove it from hosts"
            ))
        }
      }
    }
    return declared
  }

  static func folderPath(_ file: String) -> String {
    let parts = file.split(separator: "/")
    return parts.dropLast().joined(separator: "/") + "/"
  }
}

extension Array {
  /// `nil` for an empty array: `on_change: []` asks for nothing.
  var nilIfEmpty: Self? { isEmpty ? nil : self }
}

extension HostTargets.Declared {
  /// A file's declaration, its desired state made JSON at once: a typed one is several times
  /// the size, and a repository's files are all declared before any is given to hosts.
  init(address: Address, file desired: DesiredFile, sources: [String]) {
    self.init(
      address: address, desired: desired.json, sources: sources,
      sensitive: desired.sensitive == true)
  }
}
