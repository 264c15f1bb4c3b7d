/// Unified diffs of text, as `diff -u` and `git diff` print them, for plans to show.
package enum UnifiedDiff {
  /// The diff from `old` to `new` with `context` lines around each change, or `nil` when equal.
  /// A missing final newline is marked `\ No newline at end of file`, as diff does.
  package static func make(
    from old: String, to new: String, oldName: String, newName: String, context: Int = 3
  ) -> String? {
    guard old != new else { return nil }
    var output = "--- \(headerName(oldName))\n+++ \(headerName(newName))\n"
    // A file created or emptied needs no search: every line is inserted or removed, written
    // in one pass over its bytes (a first apply of many files diffs each of them).
    if old.isEmpty || new.isEmpty {
      return output + whole(old.isEmpty ? new : old, inserted: old.isEmpty)
    }
    let oldLines = lines(old)
    let newLines = lines(new)
    let edits = editScript(from: oldLines, to: newLines)
    output.reserveCapacity(output.utf8.count + old.utf8.count + new.utf8.count + 64)
    for hunk in hunks(edits, context: context) {
      output += hunk.header
      for edit in hunk.edits {
        let (sign, line) =
          switch edit {
          case .keep(let i, _): (" ", oldLines[i])
          case .remove(let i): ("-", oldLines[i])
          case .insert(let j): ("+", newLines[j])
          }
        output += sign
        output += line
        // By byte: as characters, a line's `\r\n` does not end in `\n`.
        if line.utf8.last != 0x0A { output += "\n\\ No newline at end of file\n" }
      }
    }
    return output
  }

  /// The one hunk of a diff that inserts (or removes) every line of `text`, which is not
  /// empty: as `hunks` would make it, byte by byte.
  static func whole(_ text: String, inserted: Bool) -> String {
    var text = text
    return text.withUTF8 { bytes in
      let count = bytes.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) } + (bytes.last == 0x0A ? 0 : 1)
      let range = count == 1 ? "1" : "1,\(count)"
      var output = Array((inserted ? "@@ -0,0 +\(range) @@\n" : "@@ -\(range) +0,0 @@\n").utf8)
      output.reserveCapacity(output.count + bytes.count + count + 32)
      let sign = inserted ? UInt8(ascii: "+") : UInt8(ascii: "-")
      var startOfLine = true
      for byte in bytes {
        if startOfLine { output.append(sign) }
        output.append(byte)
        startOfLine = byte == 0x0A
      }
      if !startOfLine { output += Array("\n\\ No newline at end of file\n".utf8) }
      return String(decoding: output, as: UTF8.self)
    }
  }

  /// A file name for a header line, in double quotes with C escapes (as git writes it) when it
  /// holds a control character, a quote or a backslash, so a name cannot break the diff.
  static func headerName(_ name: String) -> String {
    let needsQuotes = name.unicodeScalars.contains {
      $0.value < 0x20 || $0.value == 0x7F || $0 == "\"" || $0 == "\\"
    }
    guard needsQuotes else { return name }
    var quoted = "\""
    for scalar in name.unicodeScalars {
      switch scalar {
      case "\n": quoted += "\\n"
      case "\t": quoted += "\\t"
      case "\r": quoted += "\\r"
      case "\"": quoted += "\\\""
      case "\\": quoted += "\\\\"
      case _ where scalar.value < 0x20 || scalar.value == 0x7F:
        quoted += "\\" + String(scalar.value, radix: 8).leftPadded(to: 3)
      default: quoted.unicodeScalars.append(scalar)
      }
    }
    return quoted + "\""
  }

  /// Calls `body` with each line of a diff, without its newline, for showing or counting it:
  /// by bytes, as the diff was made (as characters, `\r\n` is one, and a line of a file with
  /// Windows line ends would not end), and in place (a first apply of many files shows a line
  /// for each of their lines). A final newline ends the last line, not one more.
  package static func forEachLine(
    ofDiff diff: String, _ body: (UnsafeBufferPointer<UInt8>) -> Void
  ) {
    var diff = diff
    diff.withUTF8 { bytes in
      var start = 0
      repeat {
        var end = start
        while end < bytes.count, bytes[end] != 0x0A { end += 1 }
        body(UnsafeBufferPointer(rebasing: bytes[start..<end]))
        start = end + 1
      } while start < bytes.count
    }
  }

  /// Lines with their terminators kept, so a missing final newline is a difference too.
  /// Scans the UTF-8 bytes for newlines rather than walking characters.
  static func lines(_ text: String) -> [Substring] {
    var result: [Substring] = []
    let utf8 = text.utf8
    var start = utf8.startIndex
    var index = start
    while index < utf8.endIndex {
      let next = utf8.index(after: index)
      if utf8[index] == 0x0A {
        result.append(text[start..<next])
        start = next
      }
      index = next
    }
    if start < utf8.endIndex { result.append(text[start..<utf8.endIndex]) }
    return result
  }

  enum Edit: Equatable {
    case keep(Int, Int)
    case remove(Int)
    case insert(Int)
  }

  /// A shortest edit script (Myers, through the standard library's `difference(from:)`), with
  /// removals before insertions at each point as diff prints them.
  static func editScript(from old: [Substring], to new: [Substring]) -> [Edit] {
    let difference = new.difference(from: old)
    var removed = Set<Int>()
    var inserted = Set<Int>()
    for change in difference {
      switch change {
      case .remove(let offset, _, _): removed.insert(offset)
      case .insert(let offset, _, _): inserted.insert(offset)
      }
    }
    var edits: [Edit] = []
    var i = 0
    var j = 0
    while i < old.count || j < new.count {
      if i < old.count, removed.contains(i) {
        edits.append(.remove(i))
        i += 1
      } else if j < new.count, inserted.contains(j) {
        edits.append(.insert(j))
        j += 1
      } else {
        edits.append(.keep(i, j))
        i += 1
        j += 1
      }
    }
    return edits
  }

  struct Hunk {
    var edits: [Edit]
    var oldStart: Int
    var newStart: Int

    var header: String {
      let oldCount = edits.count { if case .insert = $0 { false } else { true } }
      let newCount = edits.count { if case .remove = $0 { false } else { true } }
      return "@@ -\(range(oldStart, oldCount)) +\(range(newStart, newCount)) @@\n"
    }

    /// `start,count` with diff's conventions: 1-based, `,1` left out, an empty range names the
    /// line before it.
    private func range(_ start: Int, _ count: Int) -> String {
      switch count {
      case 0: "\(start),0"
      case 1: "\(start + 1)"
      default: "\(start + 1),\(count)"
      }
    }
  }

  /// Groups edits into hunks: changes closer than twice the context share a hunk.
  static func hunks(_ edits: [Edit], context: Int) -> [Hunk] {
    let changed = edits.indices.filter { if case .keep = edits[$0] { false } else { true } }
    guard !changed.isEmpty else { return [] }
    var ranges: [ClosedRange<Int>] = []
    for index in changed {
      let low = max(0, index - context)
      let high = min(edits.count - 1, index + context)
      if let last = ranges.last, low <= last.upperBound + 1 {
        ranges[ranges.count - 1] = last.lowerBound...max(last.upperBound, high)
      } else {
        ranges.append(low...high)
      }
    }
    return ranges.map { range in
      var oldStart = 0
      var newStart = 0
      for edit in edits[..<range.lowerBound] {
        switch edit {
        case .keep:
          oldStart += 1
          newStart += 1
        case .remove: oldStart += 1
        case .insert: newStart += 1
        }
      }
      return Hunk(edits: Array(edits[range]), oldStart: oldStart, newStart: newStart)
    }
  }
}

extension String {
  fileprivate func leftPadded(to width: Int) -> String {
    String(repeating: "0", count: max(0, width - count)) + self
  }
}
