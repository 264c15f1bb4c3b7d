import Foundation

extension LiveFileReader {
  /// One NUL-terminated record of the read script's output, read in place: the output of a
  /// host with many files holds two records per file, and only the fields kept become strings.
  struct Record {
    let bytes: UnsafeRawBufferPointer

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    var isEmpty: Bool { bytes.isEmpty }
    var text: String { String(decoding: bytes, as: UTF8.self) }

    /// Whether the record starts with `letter` and a tab.
    func tagged(_ letter: UInt8) -> Bool {
      bytes.count >= 2 && bytes[0] == letter && bytes[1] == 0x09
    }

    /// The first `count` tab-separated fields, the last one holding the rest of the record
    /// (tabs included, as a path may have them); nil when there are fewer.
    func fields(_ count: Int) -> [UnsafeRawBufferPointer]? {
      var fields: [UnsafeRawBufferPointer] = []
      fields.reserveCapacity(count)
      var start = 0
      while fields.count < count - 1 {
        guard let tab = bytes[start...].firstIndex(of: 0x09) else { return nil }
        fields.append(UnsafeRawBufferPointer(rebasing: bytes[start..<tab]))
        start = tab + 1
      }
      fields.append(UnsafeRawBufferPointer(rebasing: bytes[start...]))
      return fields
    }

    /// The record after its tag.
    var rest: String { String(decoding: bytes.dropFirst(2), as: UTF8.self) }

    /// A `sha256sum -z` line: 64 hex digits, a space, a mode character, the name.
    var digest: (hash: String, name: String)? {
      guard bytes.count > 66, bytes.prefix(64).allSatisfy(Self.isHexDigit) else { return nil }
      return (
        String(decoding: bytes.prefix(64), as: UTF8.self),
        String(decoding: bytes.dropFirst(66), as: UTF8.self)
      )
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
      (0x30...0x39).contains(byte) || (0x61...0x66).contains(byte)
    }

    func malformed() -> ReadError { .malformed(String(text.prefix(120))) }
  }

  /// What the records say, gathered in the order they come.
  struct OutputParser {
    var reading = Reading()
    var hashes: [String: String] = [:]
    var names: (users: [String: String], groups: [String: String]) = ([:], [:])
    var targets: [String: String] = [:]
    var linkOf: String?
    var finished = false

    mutating func add(_ record: Record, stderr: String) throws {
      if let link = linkOf {
        targets[link] = record.text
        linkOf = nil
        return
      }
      if record.isEmpty { return }
      if record.tagged(UInt8(ascii: "S")) {
        try addStat(record)
      } else if let digest = record.digest {
        // Straight into the file: its stat record came first. A map of the digests by name
        // would hold each path a second time; it takes only a digest of no file seen.
        if let index = reading.files.index(forKey: digest.name) {
          reading.files.values[index].sha256 = digest.hash
        } else {
          hashes[digest.name] = digest.hash
        }
      } else if record.tagged(UInt8(ascii: "L")) {
        linkOf = record.rest
      } else if record.tagged(UInt8(ascii: "N")) {
        // `getent passwd` or `getent group` lines: NAME:PASSWORD:ID:...
        guard let fields = record.fields(3) else { throw record.malformed() }
        let users = fields[1].elementsEqual("u".utf8)
        for line in string(fields[2]).split(separator: "\n") {
          let parts = line.split(separator: ":", maxSplits: 3, omittingEmptySubsequences: false)
          guard parts.count >= 3 else { continue }
          if users {
            names.users[String(parts[2])] = String(parts[0])
          } else {
            names.groups[String(parts[2])] = String(parts[0])
          }
        }
      } else if record.tagged(UInt8(ascii: "B")) || record.tagged(UInt8(ascii: "P")) {
        guard let fields = record.fields(3) else { throw record.malformed() }
        if record.tagged(UInt8(ascii: "B")) {
          reading.hidden[string(fields[2])] = string(fields[1])
        } else {
          reading.blockedByFile[string(fields[2])] = string(fields[1])
        }
      } else if record.tagged(UInt8(ascii: "U")) {
        reading.missingUsers.insert(record.rest)
      } else if record.tagged(UInt8(ascii: "G")) {
        reading.missingGroups.insert(record.rest)
      } else if record.tagged(UInt8(ascii: "T")) {
        reading.strays.append(record.rest)
      } else if record.tagged(UInt8(ascii: "R")) {
        let codes = record.rest.split(separator: "\t").compactMap { Int($0) }
        if let code = codes.first(where: { $0 >= 124 }) {
          throw ReadError.toolMissing(
            "a tool exited with \(code)" + (stderr.isEmpty ? "" : ": \(stderr.prefix(200))"))
        }
        finished = true
      } else {
        throw record.malformed()
      }
    }

    /// `S`, type, octal mode, uid, gid, size, path.
    private mutating func addStat(_ record: Record) throws {
      guard let fields = record.fields(7), let mode = UInt32(string(fields[2]), radix: 8),
        let size = Int(string(fields[5]))
      else { throw record.malformed() }
      let kind: LiveFile.Kind =
        switch string(fields[1]) {
        case "regular file", "regular empty file": .file
        case "directory": .directory
        case "symbolic link": .symlink
        default: .other
        }
      // Owner and group names come with the `N` records, after.
      let (uid, gid) = (string(fields[3]), string(fields[4]))
      reading.files[string(fields[6])] = LiveFile(
        kind: kind, mode: mode, uid: uid, gid: gid, owner: uid, group: gid, size: size)
    }

    private func string(_ bytes: UnsafeRawBufferPointer) -> String {
      String(decoding: bytes, as: UTF8.self)
    }

    /// The reading, once every record is in: names, link targets and digests joined to the
    /// files they belong to.
    mutating func finish(stderr: String) throws -> Reading {
      guard finished else {
        throw ReadError.toolMissing(
          "the read script did not finish" + (stderr.isEmpty ? "" : ": \(stderr.prefix(200))"))
      }
      for (path, target) in targets where reading.files[path]?.kind == .symlink {
        reading.files[path]?.linkTarget = target
      }
      // In place: assigning by key while iterating would copy every file's state.
      var index = reading.files.startIndex
      while index != reading.files.endIndex {
        defer { reading.files.formIndex(after: &index) }
        let file = reading.files.values[index]
        let owner = names.users[file.uid]
        let group = names.groups[file.gid]
        guard owner != nil || group != nil || file.kind == .file else { continue }
        if let owner { reading.files.values[index].owner = owner }
        if let group { reading.files.values[index].group = group }
        if file.kind == .file, file.sha256 == nil {
          if let hash = hashes[reading.files.keys[index]] {
            reading.files.values[index].sha256 = hash
          } else {
            reading.files.values[index].kind = .unreadable
          }
        }
      }
      return reading
    }
  }
}
