import Foundation
import InfraCore
import InfraTestSupport
import InfraTransport
import Testing

@Suite struct ShellCommandTests {
  let transport = LocalTransport(host: InventoryHost(name: "local", connection: .local))

  static let awkward = [
    "plain", "with space", "it's", #"double "quoted""#, "$(touch /tmp/pwned)", "`id`",
    "$HOME", "new\nline", "tab\there", "-leading-dash", "--", "*", "?", "[a]", "a;b", "a&&b",
    "a|b", "back\\slash", "'", "''", "\"", "!", "#hash", "~user", "ünïcödé ✓", "", " ", "{a,b}",
    "\u{1B}[31mred", "trailing\n",
  ]

  /// `printf %s WORD` must print exactly WORD: quoting survives a real shell.
  @Test(arguments: awkward)
  func wordsReachTheShellUnchanged(_ word: String) async throws {
    let result = try await transport.run(ShellCommand("printf", "%s", word))
    #expect(result.exitCode == 0)
    #expect(result.stdoutText == word)
  }

  @Test func randomWordsReachTheShellUnchanged() async throws {
    var generator = SeededGenerator(seed: 0x1DEA)
    let alphabet =
      Array(#"abc XYZ019'"\$`!*?[]{}();&|<>~#%^=+,.:/-_@"#.unicodeScalars)
      + ["\n", "\t", "\u{1}", "é", "✓", "\u{7F}"]
    var words: [String] = []
    for _ in 0..<300 {
      let length = Int.random(in: 0...24, using: &generator)
      var word = String.UnicodeScalarView()
      for _ in 0..<length { word.append(alphabet.randomElement(using: &generator)!) }
      words.append(String(word))
    }
    // One command with every word as its own argument: `printf '%s\0'` separates them.
    let result = try await transport.run(ShellCommand("printf", "%s\\0").appending(words: words))
    let printed = result.stdout.split(separator: 0, omittingEmptySubsequences: false).dropLast()
      .map { String(decoding: $0, as: UTF8.self) }
    #expect(printed == words)
  }

  @Test func quotingKeepsSafeWordsBare() {
    #expect(shellQuote("/etc/motd") == "/etc/motd")
    #expect(shellQuote("a b") == "'a b'")
    #expect(shellQuote("it's") == #"'it'\''s'"#)
    #expect(shellQuote("") == "''")
  }

  @Test func operatorsStayRawAndWordsAreQuoted() {
    let command = ShellCommand("mkdir", "-p", "--", "/tmp/a b").and(ShellCommand("ls", "/tmp/a b"))
    #expect(command.string == "mkdir -p -- '/tmp/a b' && ls '/tmp/a b'")
    #expect(
      ShellCommand("id").sudo(user: "deploy").string == "sudo -n -H -u deploy -- sh -c id")
    #expect(
      ShellCommand("cat", "/a b").sudo(user: nil).string
        == #"sudo -n -H -- sh -c 'cat '\''/a b'\'''"#)
  }
}
