import Foundation
import InfraCore

/// What a resource file of the `files` connector asks for on one host.
struct DesiredFile: Hashable, Sendable {
  enum State: String, Sendable, CaseIterable {
    case present
    case absent
  }

  /// Absolute path on the host, with the connector's `root` applied.
  var path: String
  var state: State
  /// The content file in the repository (present files only).
  var source: String?
  var sha256: String?
  var size: Int?
  /// Valid UTF-8 without NUL bytes: diffed line by line rather than summarised.
  var isText: Bool?
  /// Lines of text content.
  var lines: Int?
  /// Unset attributes are not managed: new files get mode 0644 and the connecting user.
  var mode: UInt32?
  var owner: String?
  var group: String?
  /// The attributes file that declares the file absent.
  var declaredIn: String?
  /// The content file whose deletion in git asks for the file's removal.
  var deletedFile: String?
  /// The content is secret: plans say it changed, never how.
  var sensitive: Bool?
  /// The source is an age file, decrypted when planned and applied.
  var encrypted: Bool?
  /// The source is a template, rendered for each host when it is read: digest, size and
  /// lines are then the rendered content's.
  var template: Bool?
  /// Checks the staged content before it replaces the file (`%s` is the staged file).
  var validate: String?
  /// Commands run once per host after the file changed.
  var onChange: [String]?
  /// Keep the file a write replaces beside it, timestamped.
  var backup: Bool?
  /// A symbolic link to this target, rather than a file of content.
  var link: String?
  /// Move aside what is of the wrong kind at the path.
  var replace: Bool?
  /// A folder, with its own mode and owner, rather than a file of content.
  var folder: Bool?
  /// Why the content cannot be known here (an `.age` file without its identity): the file
  /// cannot be planned.
  var unavailable: String?
}

/// What a path is on the host right now, as the read script reported it.
struct LiveFile: Hashable, Sendable {
  enum Kind: String, Sendable {
    case file
    case directory
    case symlink
    case other
    /// A regular file the connecting user cannot read.
    case unreadable
    /// A path the connecting user cannot reach: a folder above it may not be entered
    /// (`blockedBy`), so whether anything is there is unknown.
    case blocked
  }

  var kind: Kind
  var mode: UInt32
  var uid: String
  var gid: String
  var owner: String
  var group: String
  var size: Int
  var sha256: String?
  /// For a `blocked` path, the folder the connecting user may not enter.
  var blockedBy: String?
  /// For a symbolic link, its target as it holds it.
  var linkTarget: String?
}

/// The payload of one op, kept in plans and executed by `apply`.
struct FileOp: Hashable, Sendable {
  enum Kind: String, Sendable {
    /// Write content (from `source`, checked against `sha256`) with mode and owner.
    case write
    /// Change mode and/or owner of the existing file, leaving its content alone.
    case attributes
    /// Remove the file (or symbolic link).
    case remove
    /// Make the path a symbolic link to `target`.
    case link
    /// Make the path a folder, with mode and owner.
    case folder
  }

  var kind: Kind
  var path: String
  var source: String?
  var sha256: String?
  /// Octal text (`"0640"`), as people read modes in a plan's JSON.
  var mode: String?
  var owner: String?
  var group: String?
  /// True when owner and group are the live file's, kept because the repository does not
  /// set them (a rewrite by rename would otherwise change them).
  var keepsOwnership: Bool?
  /// The source is an age file, decrypted as it is written.
  var encrypted: Bool?
  /// The source is a template, rendered again as it is written.
  var template: Bool?
  /// Checks the staged content before it replaces the file (`%s` is the staged file).
  var validate: String?
  /// Commands run once the host's ops were all applied, in order (on the host's last op).
  var then: [String]?
  /// Keep the file it replaces beside it, timestamped.
  var backup: Bool?
  /// A link's target.
  var target: String?
  /// Move what is at the path aside, timestamped, before putting the new one there.
  var aside: Bool?

  init(
    kind: Kind, path: String, source: String? = nil, sha256: String? = nil, mode: UInt32? = nil,
    owner: String? = nil, group: String? = nil, keepsOwnership: Bool? = nil,
    encrypted: Bool? = nil, template: Bool? = nil
  ) {
    self.encrypted = encrypted
    self.template = template
    self.kind = kind
    self.path = path
    self.source = source
    self.sha256 = sha256
    self.mode = mode.map(FileMode.format)
    self.owner = owner
    self.group = group
    self.keepsOwnership = keepsOwnership
  }

  /// The permission bits to set, if any.
  var modeBits: UInt32? { mode.flatMap(FileMode.parse) }
}

/// Octal permission modes as users write them: `0644`, `644`, `"0644"`.
enum FileMode {
  static func parse(_ text: String) -> UInt32? {
    guard !text.isEmpty, text.count <= 5, text.allSatisfy({ ("0"..."7").contains($0) }),
      let value = UInt32(text, radix: 8), value <= 0o7777
    else { return nil }
    return value
  }

  /// Four octal digits: `0644`, `4755`.
  static func format(_ mode: UInt32) -> String {
    let digits = String(mode, radix: 8)
    return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
  }
}

/// Sizes as people read them: `512 bytes`, `10.0 KiB`, `3.2 MiB`.
enum ByteCount {
  static func describe(_ bytes: Int) -> String {
    if bytes == 1 { return "1 byte" }
    if bytes < 1024 { return "\(bytes) bytes" }
    let units = ["KiB", "MiB", "GiB", "TiB"]
    var value = Double(bytes) / 1024
    var unit = 0
    while value >= 1024, unit < units.count - 1 {
      value /= 1024
      unit += 1
    }
    return String(format: "%.1f", value) + " " + units[unit]
  }
}

/// Text for diffs: UTF-8 without NUL bytes. Anything else is summarised as binary.
func textContent(_ data: Data) -> String? {
  let hasNUL = data.withUnsafeBytes { buffer in
    buffer.baseAddress.map { memchr($0, 0, buffer.count) != nil } ?? false
  }
  guard !hasNUL else { return nil }
  return String(validating: data, as: UTF8.self)
}
