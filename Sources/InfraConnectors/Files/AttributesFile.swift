import Foundation
import InfraCore
import Yams

/// A `.infra-attrs.yaml` file: mode, owner and group for the files of its folder and every
/// folder below it, and per-file settings under `files:`, including `state: absent`.
///
/// ```yaml
/// mode: "0640"          # default for this folder and below (as are owner, group, template)
/// owner: root
/// group: www-data
/// files:
///   secret.key: { mode: "0600", sensitive: true }
///   old.conf: { state: absent }
/// ```
///
/// `sensitive: true` keeps a file's content out of every output: plans say that it changed,
/// never how (an `.age` file is sensitive by itself).
package struct AttributesFile: Sendable {
  static let fileName = ".infra-attrs.yaml"

  /// Attributes for files; `nil` fields are inherited or left unmanaged.
  struct Attributes: Hashable, Sendable {
    var mode: UInt32?
    var owner: String?
    var group: String?
    var sensitive: Bool?
    /// Render the file as a template; files named `*.mustache` are templates unless `false`.
    var template: Bool?
    /// A command that checks the staged file before it replaces the target, `%s` its path.
    var validate: String?
    /// Commands run once per host after the changes that name them were applied.
    var onChange: [String]?
    /// Keep the file a write replaces beside it, timestamped.
    var backup: Bool?
    /// Move aside what is at the path when it is of the wrong kind (a link where a file is
    /// wanted), rather than failing.
    var replace: Bool?

    /// `other`'s set fields win over ours.
    func overridden(by other: Attributes) -> Attributes {
      Attributes(
        mode: other.mode ?? mode, owner: other.owner ?? owner, group: other.group ?? group,
        sensitive: other.sensitive ?? sensitive, template: other.template ?? template,
        validate: other.validate ?? validate, onChange: other.onChange ?? onChange,
        backup: other.backup ?? backup, replace: other.replace ?? replace)
    }
  }

  struct Entry: Sendable {
    var attributes: Attributes
    var state: DesiredFile.State?
    /// The target of the symbolic link the entry declares, as the link holds it.
    var link: String?
    var location: SourceLocation
  }

  var path: String
  /// The mode, owner and group of the folder the file is in (`folder:`): it is then a
  /// resource of its own.
  var folder: Attributes?
  var defaults: Attributes
  /// Per-file entries by file name in the same folder.
  var files: [String: Entry]

  /// Parses the file, reporting every problem with its line and column.
  static func load(_ file: ResourceFile) -> (AttributesFile?, [Diagnostic]) {
    switch YAMLFile.load(from: file.url, path: file.path) {
    case .success(let yaml): return read(yaml)
    case .failure(let diagnostic): return (nil, [diagnostic])
    }
  }

  /// The problems of an attributes file with these bytes (`path` as it would be shown): what
  /// loading it reports, for the fuzz target and tests that have no file.
  package static func problems(ofBytes data: Data, path: String) -> [Diagnostic] {
    switch YAMLFile.decode(data, path: path) {
    case .success(let yaml): return read(yaml).1
    case .failure(let diagnostic): return [diagnostic]
    }
  }

  private static func read(_ yaml: YAMLFile) -> (AttributesFile?, [Diagnostic]) {
    var reader = YAMLReader(file: yaml)
    var result = AttributesFile(path: yaml.path, folder: nil, defaults: Attributes(), files: [:])
    guard let root = yaml.root else { return (result, []) }
    guard let top = reader.mapping(root, for: AttributesFile.fileName, keys: topKeys) else {
      return (nil, reader.diagnostics.all)
    }
    top.reportUnknownKeys(into: &reader)
    result.defaults = attributes(of: top, reader: &reader)
    if let node = top["folder"],
      let folder = reader.mapping(
        node, for: "'folder' (this folder's mode, owner and group)",
        keys: folderSchema.keyNames)
    {
      folder.reportUnknownKeys(into: &reader)
      result.folder = attributes(of: folder, reader: &reader)
    }
    if let filesNode = top["files"],
      let files = reader.mapping(
        filesNode, for: "'files' (file names mapped to settings)", keys: [])
    {
      for entry in files.entries {
        if entry.name.contains("/") || entry.name == "." || entry.name == ".." {
          reader.error(
            "'\(entry.name)' is not a file name in this folder", at: entry.key,
            hint:
              "name files of this folder only; put a \(fileName) in the subfolder for the others")
          continue
        }
        guard
          let settings = reader.mapping(
            entry.value, for: "the settings of '\(entry.name)'", keys: entryKeys)
        else { continue }
        settings.reportUnknownKeys(into: &reader)
        var state: DesiredFile.State?
        if let stateNode = settings["state"], let text = reader.string(stateNode, for: "'state'") {
          state = DesiredFile.State(rawValue: text)
          if state == nil {
            reader.error(
              "'state' must be 'present' or 'absent', not '\(text)'", at: stateNode,
              hint: "`state: absent` removes the file from the host")
          }
        }
        var link: String?
        if let node = settings["link"], let target = reader.string(node, for: "'link'") {
          if target.isEmpty || target.contains("\0") {
            reader.error("'link' must name the link's target", at: node)
          } else if state == .absent {
            reader.error(
              "'\(entry.name)' is declared absent and a link", at: node, hint: "keep one of them")
          } else {
            link = target
          }
        }
        result.files[entry.name] = Entry(
          attributes: attributes(of: settings, reader: &reader), state: state, link: link,
          location: reader.location(of: entry.key))
      }
    }
    return (result, reader.diagnostics.all)
  }

  private static func attributes(of map: MappingReader, reader: inout YAMLReader) -> Attributes {
    var attributes = Attributes()
    if let node = map["mode"], let text = reader.string(node, for: "'mode'", acceptingScalars: true)
    {
      if let mode = FileMode.parse(text) ?? FileMode.parseSymbolic(text) {
        attributes.mode = mode
      } else {
        reader.error(
          "'\(text)' is not a file mode", at: node,
          hint:
            "write the permission bits in octal, e.g. \"0644\" or \"4755\", or as chmod does, e.g. u=rw,g=r,o="
        )
      }
    }
    if let node = map["owner"] {
      attributes.owner = reader.string(node, for: "'owner'", acceptingScalars: true)
    }
    if let node = map["group"] {
      attributes.group = reader.string(node, for: "'group'", acceptingScalars: true)
    }
    attributes.sensitive = flag(
      "sensitive", of: map, reader: &reader,
      hint: "`sensitive: true` keeps the file's content out of plans, logs and artifacts")
    attributes.template = flag(
      "template", of: map, reader: &reader,
      hint: "`template: true` renders the file with the host's data and facts")
    attributes.backup = flag(
      "backup", of: map, reader: &reader,
      hint: "`backup: true` keeps the replaced file beside it, timestamped")
    attributes.replace = flag(
      "replace", of: map, reader: &reader,
      hint: "`replace: true` moves aside what is of the wrong kind at the path")
    if let node = map["validate"], let command = reader.string(node, for: "'validate'") {
      if command.contains("%s") {
        attributes.validate = command
      } else {
        reader.error(
          "'validate' must name the staged file as %s, or it would check nothing", at: node,
          hint: "e.g. `validate: nginx -t -c %s` or `validate: visudo -cf %s`")
      }
    }
    if let node = map["on_change"] {
      var commands: [Located<String>]?
      if case .sequence = node {
        commands = reader.stringList(node, for: "'on_change'", items: "commands")
      } else if let command = reader.string(node, for: "'on_change'") {
        commands = [Located(command, at: reader.location(of: node))]
      }
      if let empty = commands?.first(where: { $0.value.allSatisfy(\.isWhitespace) }) {
        reader.diagnostics.error(
          "'on_change' has an empty command", at: empty.location,
          hint: "e.g. `on_change: systemctl reload nginx`")
        commands = nil
      }
      attributes.onChange = commands?.map(\.value)
    }
    return attributes
  }

  /// The boolean `key` of `map`, if written; anything but true or false is an error.
  private static func flag(
    _ key: String, of map: MappingReader, reader: inout YAMLReader, hint: String
  ) -> Bool? {
    guard let node = map[key] else { return nil }
    guard let value = node.bool, YAMLReader.kind(of: node) == .bool else {
      reader.error("'\(key)' must be true or false", at: node, hint: hint)
      return nil
    }
    return value
  }
}
