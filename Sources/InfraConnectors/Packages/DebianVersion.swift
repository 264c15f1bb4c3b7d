/// A Debian package version, `[epoch:]upstream[-revision]`, ordered as dpkg orders them
/// (Debian Policy 5.6.12): epochs as numbers, then upstream and revision compared part by
/// part, digits as numbers, `~` before anything (even the end), letters before other signs.
struct DebianVersion: Comparable, CustomStringConvertible {
  let epoch: Int
  let upstream: String
  let revision: String
  let description: String

  init(_ text: String) {
    description = text
    var rest = Substring(text)
    if let colon = rest.firstIndex(of: ":"), let epoch = Int(rest[..<colon]) {
      self.epoch = epoch
      rest = rest[rest.index(after: colon)...]
    } else {
      epoch = 0
    }
    if let dash = rest.lastIndex(of: "-") {
      upstream = String(rest[..<dash])
      revision = String(rest[rest.index(after: dash)...])
    } else {
      upstream = String(rest)
      revision = ""
    }
  }

  /// Whether `text` has only the characters a version may have, starting with a digit.
  static func isValid(_ text: String) -> Bool {
    guard let first = text.unicodeScalars.first, ("0"..."9").contains(first), text.count <= 256
    else { return false }
    return text.unicodeScalars.allSatisfy {
      ("0"..."9").contains($0) || ("a"..."z").contains($0) || ("A"..."Z").contains($0)
        || ".+~:-".unicodeScalars.contains($0)
    }
  }

  static func < (lhs: DebianVersion, rhs: DebianVersion) -> Bool {
    compare(lhs, rhs) < 0
  }

  static func == (lhs: DebianVersion, rhs: DebianVersion) -> Bool {
    compare(lhs, rhs) == 0
  }

  private static func compare(_ a: DebianVersion, _ b: DebianVersion) -> Int {
    if a.epoch != b.epoch { return a.epoch < b.epoch ? -1 : 1 }
    let upstream = compare(Array(a.upstream.utf8), Array(b.upstream.utf8))
    return upstream != 0 ? upstream : compare(Array(a.revision.utf8), Array(b.revision.utf8))
  }

  /// dpkg's `verrevcmp`: alternating runs of non-digits (by `order`) and digits (as numbers).
  private static func compare(_ a: [UInt8], _ b: [UInt8]) -> Int {
    var i = 0
    var j = 0
    while i < a.count || j < b.count {
      var firstDifference = 0
      while (i < a.count && !isDigit(a[i])) || (j < b.count && !isDigit(b[j])) {
        let ac = i < a.count ? order(a[i]) : 0
        let bc = j < b.count ? order(b[j]) : 0
        if ac != bc { return ac - bc }
        i += 1
        j += 1
      }
      while i < a.count && a[i] == UInt8(ascii: "0") { i += 1 }
      while j < b.count && b[j] == UInt8(ascii: "0") { j += 1 }
      while i < a.count && isDigit(a[i]) && j < b.count && isDigit(b[j]) {
        if firstDifference == 0 { firstDifference = Int(a[i]) - Int(b[j]) }
        i += 1
        j += 1
      }
      if i < a.count && isDigit(a[i]) { return 1 }
      if j < b.count && isDigit(b[j]) { return -1 }
      if firstDifference != 0 { return firstDifference }
    }
    return 0
  }

  private static func isDigit(_ c: UInt8) -> Bool {
    c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")
  }

  private static func order(_ c: UInt8) -> Int {
    if isDigit(c) { return 0 }
    if (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z"))
      || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z"))
    {
      return Int(c)
    }
    if c == UInt8(ascii: "~") { return -1 }
    return Int(c) + 256
  }
}
