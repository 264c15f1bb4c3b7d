/// Modes as chmod writes them symbolically: `u=rw,g=r,o=`, `a=rx,u+w`, `u=rwx,g=rxs,+t`.
///
/// The clauses are applied in order starting from no permissions, so a symbolic mode names a
/// whole mode, as an octal one does (`u+x` alone is `0100`): a repository says what a file's
/// mode is, never how to change the one it has.
extension FileMode {
  static func parseSymbolic(_ text: String) -> UInt32? {
    guard !text.isEmpty else { return nil }
    var mode: UInt32 = 0
    for clause in text.split(separator: ",", omittingEmptySubsequences: false) {
      guard let next = apply(clause, to: mode) else { return nil }
      mode = next
    }
    return mode
  }

  /// `[ugoa]*` then one or more `[=+-][rwxXst]*`.
  private static func apply(_ clause: Substring, to start: UInt32) -> UInt32? {
    var mode = start
    let who = clause.prefix { "ugoa".contains($0) }
    var rest = clause.dropFirst(who.count)
    guard !rest.isEmpty else { return nil }
    // Each class's permission bits, and the special bit it may carry.
    var mask: UInt32 = 0
    for letter in who.isEmpty ? "a" : who {
      switch letter {
      case "u": mask |= 0o4700
      case "g": mask |= 0o2070
      case "o": mask |= 0o1007
      default: mask |= 0o7777
      }
    }
    while let operation = rest.first {
      guard "=+-".contains(operation) else { return nil }
      let permissions = rest.dropFirst().prefix { "rwxXst".contains($0) }
      rest = rest.dropFirst(1 + permissions.count)
      var bits: UInt32 = 0
      for letter in permissions {
        switch letter {
        case "r": bits |= 0o444
        case "w": bits |= 0o222
        case "x": bits |= 0o111
        // Execute where some execute bit is already set, as chmod has it for files.
        case "X": bits |= mode & 0o111 != 0 ? 0o111 : 0
        case "s": bits |= 0o6000
        default: bits |= 0o1000
        }
      }
      bits &= mask
      switch operation {
      case "=": mode = (mode & ~mask) | bits
      case "+": mode |= bits
      default: mode &= ~bits
      }
    }
    return mode
  }
}
