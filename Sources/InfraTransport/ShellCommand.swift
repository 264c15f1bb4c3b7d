/// A shell command built from words that are quoted when rendered and operators that are not.
///
/// Built, never concatenated (pyinfra's `StringCommand` + `QuoteString`): a path with spaces,
/// quotes, newlines or `$(...)` reaches the host's shell as one unchanged word.
package struct ShellCommand: Hashable, Sendable, CustomStringConvertible,
  ExpressibleByArrayLiteral
{
  package enum Part: Hashable, Sendable {
    /// A word the shell must see unchanged; quoted when needed.
    case word(String)
    /// Shell syntax written by us, never by a user: `&&`, `|`, `2>/dev/null`.
    case raw(String)
  }

  package private(set) var parts: [Part]

  package init(parts: [Part]) {
    self.parts = parts
  }

  /// A command from words, e.g. `ShellCommand("mkdir", "-p", "--", path)`.
  package init(_ words: String...) {
    parts = words.map(Part.word)
  }

  package init(words: [String]) {
    parts = words.map(Part.word)
  }

  package init(arrayLiteral words: String...) {
    parts = words.map(Part.word)
  }

  /// Shell syntax of our own, kept as written.
  package static func raw(_ text: String) -> ShellCommand {
    ShellCommand(parts: [.raw(text)])
  }

  package func appending(_ words: String...) -> ShellCommand {
    ShellCommand(parts: parts + words.map(Part.word))
  }

  package func appending(words: [String]) -> ShellCommand {
    ShellCommand(parts: parts + words.map(Part.word))
  }

  package func appending(raw text: String) -> ShellCommand {
    ShellCommand(parts: parts + [.raw(text)])
  }

  package static func + (lhs: ShellCommand, rhs: ShellCommand) -> ShellCommand {
    ShellCommand(parts: lhs.parts + rhs.parts)
  }

  /// `self && other`.
  package func and(_ other: ShellCommand) -> ShellCommand {
    ShellCommand(parts: parts + [.raw("&&")] + other.parts)
  }

  /// The command as one line of shell.
  package var string: String {
    parts.map { part in
      switch part {
      case .word(let word): shellQuote(word)
      case .raw(let text): text
      }
    }.joined(separator: " ")
  }

  package var description: String { string }

  /// This command run by `sh -c` as `user` through sudo, refusing to prompt for a password.
  package func sudo(user: String?) -> ShellCommand {
    var wrapper = ShellCommand("sudo", "-n", "-H")
    if let user { wrapper = wrapper.appending("-u", user) }
    return wrapper.appending("--", "sh", "-c", string)
  }
}

/// Quotes `word` for a POSIX shell: bare when it is made only of safe characters, otherwise in
/// single quotes, with each embedded `'` written as `'\''`.
package func shellQuote(_ word: String) -> String {
  if !word.isEmpty, word.unicodeScalars.allSatisfy(isShellSafe) {
    return word
  }
  return "'" + word.replacingOccurrences(of: "'", with: #"'\''"#) + "'"
}

private func isShellSafe(_ scalar: Unicode.Scalar) -> Bool {
  switch scalar {
  case "a"..."z", "A"..."Z", "0"..."9": true
  case "_", "@", "%", "+", "=", ":", ",", ".", "/", "-": true
  default: false
  }
}

/// A multi-line shell script, sent on a command's standard input so that its size is not bound
/// by the argument-length limit and no word of it is re-parsed by a remote login shell.
package struct ShellScript: Hashable, Sendable {
  package private(set) var lines: [String] = []

  package init(_ lines: [String] = []) {
    self.lines = lines
  }

  /// Appends a line of our own shell text (function definitions, control flow).
  package mutating func append(raw line: String) {
    lines.append(line)
  }

  package mutating func append(_ command: ShellCommand) {
    lines.append(command.string)
  }

  package var text: String { lines.joined(separator: "\n") + "\n" }

  /// The command that runs this script: `sh -s`, with the script on standard input.
  package static let interpreter = ShellCommand("sh", "-s")
}
