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
  /// Present unless it says `state`: six fields or fewer fit a dictionary half the size of
  /// seven's, and a plain file has six. Ten thousand files are held at once.
  var json: JSONValue {
    var object: [String: JSONValue] = ["path": .string(path)]
    if state != .present { object["state"] = .string(state.rawValue) }
    object.set("source", source)
    object.set("sha256", sha256)
    object.set("size", size)
    object.set("isText", isText)
    object.set("lines", lines)
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
  /// lookup per field hashed twenty keys for the eight a file has.
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

extension LiveFile {
  /// Owner and group as `ids` (`UID:GID`) and `names` (`OWNER:GROUP`, numbers where the host
  /// has no name): a regular file's state is six fields, which fit a dictionary half the size
  /// of eight's, and a plan holds every file's at once. No name holds a colon.
  var json: JSONValue {
    var object: [String: JSONValue] = [:]
    object.reserveCapacity(sha256 == nil ? 5 : 6)
    object["kind"] = .string(kind.rawValue)
    object["mode"] = .int(Int(mode))
    object["ids"] = .string(uid + ":" + gid)
    object["names"] = .string(owner + ":" + group)
    object["size"] = .int(size)
    object.set("sha256", sha256)
    object.set("blocked_by", blockedBy)
    object.set("link_target", linkTarget)
    return .object(object)
  }

  /// One pass over the object's keys, as for desired files: this runs for every file of a
  /// host in every plan.
  init(json: JSONValue) throws {
    guard case .object(let object) = json else {
      throw JSONFields.Malformed(type: "live file", field: nil)
    }
    var (kind, mode, ids, names, size): (Kind?, UInt32?, (String, String)?, (String, String)?, Int?)
    self.init(kind: .other, mode: 0, uid: "", gid: "", owner: "", group: "", size: 0)
    for (key, value) in object {
      switch key {
      case "kind": kind = value.stringValue.flatMap(Kind.init(rawValue:))
      case "mode": mode = value.intValue.flatMap(UInt32.init(exactly:))
      case "ids": ids = value.stringValue.flatMap(Self.pair)
      case "names": names = value.stringValue.flatMap(Self.pair)
      case "size": size = value.intValue
      case "sha256": sha256 = value.stringValue
      case "blocked_by": blockedBy = value.stringValue
      case "link_target": linkTarget = value.stringValue
      default: continue
      }
    }
    let missing = { (field: String) in JSONFields.Malformed(type: "live file", field: field) }
    guard let kind else { throw missing("kind") }
    guard let mode else { throw missing("mode") }
    guard let ids else { throw missing("ids") }
    guard let names else { throw missing("names") }
    guard let size else { throw missing("size") }
    (self.kind, self.mode, self.size) = (kind, mode, size)
    (uid, gid, owner, group) = (ids.0, ids.1, names.0, names.1)
  }

  /// `A:B` as its two parts.
  private static func pair(_ text: String) -> (String, String)? {
    guard let colon = text.utf8.firstIndex(of: UInt8(ascii: ":")) else { return nil }
    return (String(text[..<colon]), String(text[text.index(after: colon)...]))
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
