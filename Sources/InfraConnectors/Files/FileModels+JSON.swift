import InfraCore

// Explicit conversions of the files connector's data to and from JSONValue. They run for every
// resource several times per plan; going through Codable meant encoding JSON text and parsing it
// again each time, which cost more than reading the files' state over SSH.

/// A JSON object being read into a typed value; missing or mistyped fields are errors.
struct JSONFields {
  let object: [String: JSONValue]
  let type: String

  init(_ value: JSONValue, as type: String) throws {
    guard case .object(let object) = value else { throw Malformed(type: type, field: nil) }
    self.object = object
    self.type = type
  }

  struct Malformed: Error, CustomStringConvertible {
    let type: String
    let field: String?
    var description: String {
      "malformed \(type)" + (field.map { " (field '\($0)')" } ?? "")
    }
  }

  func string(_ key: String) throws -> String {
    guard let value = object[key]?.stringValue else { throw Malformed(type: type, field: key) }
    return value
  }

  func optionalString(_ key: String) -> String? { object[key]?.stringValue }

  func int(_ key: String) throws -> Int {
    guard let value = object[key]?.intValue else { throw Malformed(type: type, field: key) }
    return value
  }

  func optionalInt(_ key: String) -> Int? { object[key]?.intValue }

  func optionalBool(_ key: String) -> Bool? { object[key]?.boolValue }

  func optionalStrings(_ key: String) -> [String]? {
    object[key]?.arrayValue?.compactMap(\.stringValue)
  }
}

extension Dictionary where Key == String, Value == JSONValue {
  /// Sets `key` only when `value` is not nil, so absent fields stay absent.
  fileprivate mutating func set(_ key: String, _ value: String?) {
    if let value { self[key] = .string(value) }
  }

  fileprivate mutating func set(_ key: String, _ value: Int?) {
    if let value { self[key] = .int(value) }
  }

  fileprivate mutating func set(_ key: String, _ value: Bool?) {
    if let value { self[key] = .bool(value) }
  }

  fileprivate mutating func set(_ key: String, _ value: [String]?) {
    if let value { self[key] = .array(value.map(JSONValue.string)) }
  }
}

extension DesiredFile {
  /// Present unless it says `state`, and the content's facts in one field (`content`) when all
  /// are known: a plain file is three fields (path, source, content), which fit a dictionary
  /// of four buckets. Ten thousand files are held at once.
  var json: JSONValue {
    var object: [String: JSONValue] = ["path": .string(path)]
    if state != .present { object["state"] = .string(state.rawValue) }
    object.set("source", source)
    if let content = contentLine {
      object["content"] = .string(content)
    } else {
      object.set("sha256", sha256)
      object.set("size", size)
      object.set("isText", isText)
      object.set("lines", lines)
    }
    object.set("mode", mode.map(Int.init))
    object.set("owner", owner)
    object.set("group", group)
    object.set("declaredIn", declaredIn)
    object.set("deletedFile", deletedFile)
    object.set("sensitive", sensitive)
    object.set("encrypted", encrypted)
    object.set("template", template)
    object.set("validate", validate)
    object.set("on_change", onChange)
    object.set("backup", backup)
    object.set("link", link)
    object.set("replace", replace)
    object.set("folder", folder)
    object.set("unavailable", unavailable)
    return .object(object)
  }

  /// One pass over the object's keys: this runs twice per resource in every plan, and a
  /// lookup per field would hash twenty keys for the three a plain file has.
  init(json: JSONValue) throws {
    guard case .object(let object) = json else {
      throw JSONFields.Malformed(type: "desired file", field: nil)
    }
    var (path, state): (String?, State?) = (nil, .present)
    self.init(path: "", state: .present)
    for (key, value) in object {
      switch key {
      case "path": path = value.stringValue
      case "state": state = value.stringValue.flatMap(State.init(rawValue:))
      case "source": source = value.stringValue
      case "content":
        guard let line = value.stringValue else {
          throw JSONFields.Malformed(type: "desired file", field: "content")
        }
        try setContent(line)
      case "sha256": sha256 = value.stringValue
      case "size": size = value.intValue
      case "isText": isText = value.boolValue
      case "lines": lines = value.intValue
      case "mode": mode = value.intValue.map(UInt32.init)
      case "owner": owner = value.stringValue
      case "group": group = value.stringValue
      case "declaredIn": declaredIn = value.stringValue
      case "deletedFile": deletedFile = value.stringValue
      case "sensitive": sensitive = value.boolValue
      case "encrypted": encrypted = value.boolValue
      case "template": template = value.boolValue
      case "validate": validate = value.stringValue
      case "on_change": onChange = value.arrayValue?.compactMap(\.stringValue)
      case "backup": backup = value.boolValue
      case "link": link = value.stringValue
      case "replace": replace = value.boolValue
      case "folder": folder = value.boolValue
      case "unavailable": unavailable = value.stringValue
      default: continue
      }
    }
    guard let state else { throw JSONFields.Malformed(type: "desired file", field: "state") }
    guard let path else { throw JSONFields.Malformed(type: "desired file", field: "path") }
    (self.path, self.state) = (path, state)
  }
}

extension DesiredFile {
  /// What the content is, as one line: `SHA256:SIZE:LINES:text` or `…:binary`. A plain file's
  /// state is then three fields, which fit a dictionary the size of four's rather than eight's.
  fileprivate var contentLine: String? {
    guard let sha256, let size, let isText, let lines else { return nil }
    return sha256 + ":" + String(size) + ":" + String(lines) + (isText ? ":text" : ":binary")
  }

  fileprivate mutating func setContent(_ line: String) throws {
    let fields = colonFields(of: line)
    guard fields.count == 4, let size = Int(fields[1]), let lines = Int(fields[2]),
      fields[3] == "text" || fields[3] == "binary"
    else { throw JSONFields.Malformed(type: "desired file", field: "content") }
    (sha256, self.size, self.lines, isText) = (String(fields[0]), size, lines, fields[3] == "text")
  }
}

extension LiveFile {
  /// The state as one line, which is also its fingerprint (everything planning compares):
  /// `KIND:MODE:UID:GID:OWNER:GROUP:SIZE:SHA256` (`-` for no digest), then `:` and a link's
  /// target or the folder that blocks the path, when there is one. Only that last field may
  /// hold a colon: the host's user database separates its fields with it. A plan holds every
  /// file's state at once: one string is a fifth of a dictionary of the same fields.
  var line: String {
    var line = kind.rawValue + ":" + FileMode.format(mode) + ":" + uid + ":" + gid
    line += ":" + owner + ":" + group + ":" + String(size) + ":" + (sha256 ?? "-")
    if let tail = kind == .blocked ? blockedBy : linkTarget { line += ":" + tail }
    return line
  }

  var json: JSONValue { .string(line) }

  init(json: JSONValue) throws {
    let malformed = { (field: String?) in JSONFields.Malformed(type: "live file", field: field) }
    guard case .string(let line) = json else { throw malformed(nil) }
    let fields = colonFields(of: line, maxSplits: 8)
    guard fields.count >= 8 else { throw malformed(nil) }
    guard let kind = Kind(rawValue: String(fields[0])) else { throw malformed("kind") }
    guard let mode = UInt32(fields[1], radix: 8) else { throw malformed("mode") }
    guard let size = Int(fields[6]) else { throw malformed("size") }
    self.init(
      kind: kind, mode: mode, uid: String(fields[2]), gid: String(fields[3]),
      owner: String(fields[4]), group: String(fields[5]), size: size,
      sha256: fields[7] == "-" ? nil : String(fields[7]))
    if fields.count > 8 {
      if kind == .blocked { blockedBy = String(fields[8]) } else { linkTarget = String(fields[8]) }
    }
  }
}

extension FileOp {
  var json: JSONValue {
    var object: [String: JSONValue] = ["kind": .string(kind.rawValue), "path": .string(path)]
    object.set("source", source)
    object.set("sha256", sha256)
    object.set("mode", mode)
    object.set("owner", owner)
    object.set("group", group)
    object.set("keepsOwnership", keepsOwnership)
    object.set("encrypted", encrypted)
    object.set("template", template)
    object.set("validate", validate)
    object.set("then", then)
    object.set("backup", backup)
    object.set("target", target)
    object.set("aside", aside)
    return .object(object)
  }

  init(json: JSONValue) throws {
    let fields = try JSONFields(json, as: "files op")
    guard let kind = Kind(rawValue: try fields.string("kind")) else {
      throw JSONFields.Malformed(type: "files op", field: "kind")
    }
    self.init(
      kind: kind, path: try fields.string("path"), source: fields.optionalString("source"),
      sha256: fields.optionalString("sha256"),
      mode: fields.optionalString("mode").flatMap(FileMode.parse),
      owner: fields.optionalString("owner"), group: fields.optionalString("group"),
      keepsOwnership: fields.optionalBool("keepsOwnership"),
      encrypted: fields.optionalBool("encrypted"), template: fields.optionalBool("template"))
    validate = fields.optionalString("validate")
    then = fields.optionalStrings("then")
    backup = fields.optionalBool("backup")
    target = fields.optionalString("target")
    aside = fields.optionalBool("aside")
  }
}

/// The fields of `line` between colons, empty ones too, the last one keeping any colons after
/// the first `maxSplits`. Found on the UTF-8 bytes (a colon is one byte and never part of
/// another character's): `split` walked the line's characters, 5% of a plan's time.
private func colonFields(of line: String, maxSplits: Int = .max) -> [Substring] {
  var fields: [Substring] = []
  let bytes = line.utf8
  var start = bytes.startIndex
  while fields.count < maxSplits, let colon = bytes[start...].firstIndex(of: UInt8(ascii: ":")) {
    fields.append(line[start..<colon])
    start = bytes.index(after: colon)
  }
  fields.append(line[start...])
  return fields
}
