import Foundation
import InfraCore
import Yams

/// One service file: `services/<host or @group>/<UNIT>.yaml` (`nginx.yaml` is
/// `nginx.service`), whether the unit is enabled and running, and what reloads or restarts it.
///
/// ```yaml
/// enabled: true
/// state: running              # or stopped
/// reload_on: [/etc/nginx/]    # files (a folder: anything below it) whose change reloads it
/// restart_on: [package:nginx-light]
/// ```
struct ServiceFile: NamedResourceFile, Hashable, Codable {
  enum State: String, Codable { case running, stopped }

  /// The unit, with its type suffix (`nginx.service`).
  var name: String
  var enabled: Bool?
  var state: State?
  var reloadOn: [String] = []
  var restartOn: [String] = []

  static let what = "a service file"
  static let keys = ["name", "enabled", "state", "reload_on", "restart_on"]
  static let unitSuffixes = [
    ".service", ".socket", ".timer", ".path", ".target", ".mount", ".automount", ".swap",
  ]

  var json: JSONValue { (try? JSONValue(encoding: self)) ?? .null }
  init(json: JSONValue) throws { self = try json.decode(as: ServiceFile.self) }
  init(name: String) { self.name = name }

  /// Stopped and disabled: what deleting its file in git asks for.
  var removal: ServiceFile {
    var removal = ServiceFile(name: name)
    removal.enabled = false
    removal.state = .stopped
    return removal
  }

  /// The init script's name, where systemd does not run (`nginx` for `nginx.service`).
  var script: String { name.hasSuffix(".service") ? String(name.dropLast(8)) : name }

  /// `nginx` → `nginx.service`; a name with a unit type keeps it.
  static func unit(_ name: String) -> String {
    unitSuffixes.contains(where: name.hasSuffix) ? name : name + ".service"
  }

  /// Whether `name` is a unit name systemd accepts, and nothing a shell or an option parser
  /// would read otherwise.
  static func isValid(_ name: String) -> Bool {
    guard !name.isEmpty, name.count <= 255, !name.hasPrefix("-"), !name.hasPrefix(".") else {
      return false
    }
    return name.unicodeScalars.allSatisfy {
      ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0)
        || ":_.@-\\".unicodeScalars.contains($0)
    }
  }

  static func read(_ yaml: YAMLFile, stem: String) -> (ServiceFile?, [Diagnostic]) {
    var reader = YAMLReader(file: yaml)
    var file = ServiceFile(name: unit(stem))
    var nameNode: Node?
    if let root = yaml.root {
      guard let map = reader.mapping(root, for: what, keys: keys) else {
        return (nil, reader.diagnostics.all)
      }
      map.reportUnknownKeys(into: &reader)
      if let node = map["name"], let name = reader.string(node, for: "'name'") {
        file.name = unit(name)
        nameNode = node
      }
      if let node = map["enabled"], let value = reader.bool(node, for: "'enabled'") {
        file.enabled = value
      }
      if let node = map["state"], let text = reader.string(node, for: "'state'") {
        if let state = State(rawValue: text) {
          file.state = state
        } else {
          reader.error(
            "'state' must be 'running' or 'stopped', not '\(text.clipped())'", at: node,
            hint: "to stop managing a unit, delete its file")
        }
      }
      file.reloadOn = watches("reload_on", map, &reader)
      file.restartOn = watches("restart_on", map, &reader)
    }
    if !isValid(file.name) {
      let message = "'\(file.name.clipped())' is not a unit name"
      let hint =
        "unit names are letters, digits and : _ . @ - \\ (nginx.service, getty@tty1.service)"
      if let nameNode {
        reader.error(message, at: nameNode, hint: hint)
      } else {
        reader.diagnostics.error(message, at: SourceLocation(file: yaml.path), hint: hint)
      }
    }
    let diagnostics = reader.diagnostics.all
    return (diagnostics.contains { $0.severity == .error } ? nil : file, diagnostics)
  }

  /// Paths on the host (a folder watches what is below it) or `package:NAME`.
  private static func watches(_ key: String, _ map: MappingReader, _ reader: inout YAMLReader)
    -> [String]
  {
    guard let node = map[key], let items = reader.stringList(node, for: "'\(key)'", items: "paths")
    else { return [] }
    var watches: [String] = []
    for item in items {
      let text = item.value
      let package = text.hasPrefix("package:") ? String(text.dropFirst(8)) : nil
      if let package, PackageNames.isValid(package) {
        watches.append(text)
      } else if text.hasPrefix("/"), !text.contains("\0") {
        watches.append(text)
      } else {
        reader.diagnostics.error(
          "'\(text.clipped())' in '\(key)' is neither an absolute path nor package:NAME",
          at: item.location,
          hint:
            "name the files whose changes call for it (/etc/nginx/ for a whole folder), or package:NAME"
        )
      }
    }
    return watches
  }

  enum CodingKeys: String, CodingKey {
    case name, enabled, state
    case reloadOn = "reload_on"
    case restartOn = "restart_on"
  }
}
