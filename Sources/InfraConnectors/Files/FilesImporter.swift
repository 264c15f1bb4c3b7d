import Foundation
import InfraCore
import InfraEngine
import InfraTransport

/// `infra import --connector P/files --host H PATH...`: resource files for the regular files
/// under the paths named, on that host, with an `.infra-attrs.yaml` per folder for the modes,
/// owners and groups that are not what a new file gets, so that the next plan shows no change.
///
/// Two commands on the host: one `find` for every file's type, mode, owner, group and size,
/// then every content in one fetch. Files a group already declares for the host are left out,
/// and the host's own files are kept as they are; symbolic links, devices and folders are not
/// resources, and are skipped with a note.
struct FilesImporter {
  let settings: FilesConnector.Settings
  let host: InventoryHost
  let transport: any Transport

  /// Files larger than this are left out: import is for configuration, not data.
  static let sizeLimit = 16 << 20

  struct Problem: Error, CustomStringConvertible {
    let description: String
  }

  func list(_ paths: [String]) async throws -> ListResponse {
    guard !paths.isEmpty else {
      // Not a failure: importing a whole server asks every connector, and this one only
      // imports what it is told.
      var response = ListResponse()
      response.skipped.append(
        "\(settings.prefix)/\(settings.name): files are imported by the paths you name: `infra import --connector \(settings.prefix)/\(settings.name) --host \(host.name) /etc/nginx`"
      )
      return response
    }
    for path in paths {
      guard path.hasPrefix("/"), !path.split(separator: "/").contains(where: { $0 == ".." }),
        relative(path) != nil
      else {
        throw Problem(
          description:
            "\(path) is not an absolute path below the connector's root (\(settings.root))")
      }
    }
    let found = try await find(paths)
    let declared = settings.declared.paths(of: host.name)
    var skipped = found.others.map {
      "\($0.path): \($0.kind), which is not a resource of the files connector"
    }
    let wanted = found.files.filter { file in
      // A group's file for this host: a file of the host's own would duplicate it. (The host's
      // own file is listed, and kept as it is.)
      if declared[file.path] == false { return false }
      if file.size > Self.sizeLimit {
        skipped.append(
          "\(file.path): larger than \(ByteCount.describe(Self.sizeLimit)), which import leaves out"
        )
        return false
      }
      if !importable(file.path) {
        skipped.append(
          "\(file.path): its name is one the repository reads otherwise (an age file, an editor's backup, settings)"
        )
        return false
      }
      return true
    }
    let contents = try await LiveContentFetcher.fetch(
      wanted.map(\.path), through: transport, writer: settings.writer)
    var response = ListResponse()
    var entries: [String: [(name: String, line: String)]] = [:]
    for file in wanted {
      guard let content = contents[file.path], let relative = relative(file.path) else {
        skipped.append("\(file.path): the connecting user cannot read it")
        continue
      }
      let parts = relative.split(separator: "/").map(String.init)
      response.files.append((address(parts), content))
      if let line = attributeLine(file, user: found.user, group: found.group) {
        entries[parts.dropLast().joined(separator: "/"), default: []].append((parts.last!, line))
      }
    }
    for (folder, lines) in entries.sorted(by: { $0.key < $1.key }) {
      var text =
        "# Written by infra import: what differs from a new file's mode and owner.\nfiles:\n"
      for (name, line) in lines.sorted(by: { $0.name < $1.name }) {
        text += "  \(JSONValue.string(name).serialized): { \(line) }\n"
      }
      let folderParts = folder.isEmpty ? [] : folder.split(separator: "/").map(String.init)
      response.files.append((address(folderParts + [AttributesFile.fileName]), Data(text.utf8)))
    }
    response.skipped = skipped
    return response
  }

  private func address(_ parts: [String]) -> Address {
    Address(prefix: settings.prefix, segments: [settings.name, host.name] + parts)
  }

  /// `path` relative to the connector's root, or `nil` when it is not below it.
  private func relative(_ path: String) -> String? {
    let trimmed = path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
    if settings.root == "/" { return String(trimmed.dropFirst()) }
    if trimmed == settings.root { return "" }
    guard trimmed.hasPrefix(settings.root + "/") else { return nil }
    return String(trimmed.dropFirst(settings.root.count + 1))
  }

  /// Names the repository would read otherwise (an age file, a template, an editor's backup,
  /// settings) cannot be resource files of their own.
  private func importable(_ path: String) -> Bool {
    let name = path.split(separator: "/").last.map(String.init) ?? path
    return !AgeCipher.isEncrypted(name) && FilesLoader.unclaimedReason(name) == nil
      && name != AttributesFile.fileName
  }

  /// The settings a file needs beyond a new file's: mode 0644, the connecting user and group;
  /// a file named like a template stays a plain file.
  private func attributeLine(_ file: FoundFile, user: String, group: String) -> String? {
    var parts: [String] = []
    if file.mode != 0o644 { parts.append("mode: \"\(FileMode.format(file.mode))\"") }
    if file.owner != user { parts.append("owner: \(JSONValue.string(file.owner).serialized)") }
    if file.group != group { parts.append("group: \(JSONValue.string(file.group).serialized)") }
    if FilesLoader.isTemplateName(file.path) { parts.append("template: false") }
    return parts.isEmpty ? nil : parts.joined(separator: ", ")
  }

  struct FoundFile {
    var path: String
    var mode: UInt32
    var owner: String
    var group: String
    var size: Int
  }

  /// Every regular file under `paths`, and who infra connects as.
  private func find(_ paths: [String]) async throws -> (
    files: [FoundFile], others: [(path: String, kind: String)], user: String, group: String
  ) {
    var script = ShellScript()
    script.append(raw: "LC_ALL=C; export LC_ALL")
    script.append(ShellCommand.raw("set --").appending(words: paths))
    script.append(raw: #"printf 'I\t%s\t%s\0' "$(id -un)" "$(id -gn)""#)
    script.append(raw: #"for p in "$@"; do [ -e "$p" ] || printf 'M\t%s\0' "$p"; done"#)
    script.append(
      raw:
        #"find "$@" \( -type f -printf 'F\t%m\t%u\t%g\t%s\t%p\0' \) -o \( ! -type d -printf 'O\t%y\t%p\0' \) 2>/dev/null; printf 'R\t%s\0' "$?""#
    )
    let result = try await transport.run(script)
    var files: [FoundFile] = []
    var others: [(path: String, kind: String)] = []
    var (user, group) = ("", "")
    var finished = false
    for record in result.stdout.split(separator: 0) {
      let text = String(decoding: record, as: UTF8.self)
      // The path is always the last field, whatever it holds.
      let count = ["F": 5, "O": 2, "I": 2].first { text.hasPrefix($0.key + "\t") }?.value ?? 1
      let fields = text.split(separator: "\t", maxSplits: count, omittingEmptySubsequences: false)
        .map(String.init)
      switch fields.first {
      case "I" where fields.count == 3: (user, group) = (fields[1], fields[2])
      case "F" where fields.count == 6:
        guard let mode = UInt32(fields[1], radix: 8), let size = Int(fields[4]) else { continue }
        files.append(
          FoundFile(path: fields[5], mode: mode, owner: fields[2], group: fields[3], size: size))
      case "O" where fields.count == 3:
        let kinds = ["l": "a symbolic link", "p": "a pipe", "s": "a socket"]
        others.append((fields[2], kinds[fields[1]] ?? "a device"))
      case "M" where fields.count == 2:
        throw Problem(description: "\(fields[1]) does not exist on \(host.name)")
      case "R": finished = true
      default: continue
      }
    }
    guard finished, !user.isEmpty else {
      throw Problem(
        description:
          "cannot list files on \(host.name): the listing did not finish (the files connector needs GNU find)"
      )
    }
    return (files.sorted { $0.path < $1.path }, others, user, group)
  }
}
