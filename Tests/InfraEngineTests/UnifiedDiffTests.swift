import Foundation
import InfraEngine
import InfraTestSupport
import InfraTransport
import Testing

@Suite struct UnifiedDiffTests {
  @Test func equalTextsHaveNoDiff() {
    #expect(UnifiedDiff.make(from: "a\n", to: "a\n", oldName: "a", newName: "b") == nil)
  }

  @Test func aChangedLineWithContext() {
    let old = (1...10).map { "line \($0)\n" }.joined()
    let new = old.replacingOccurrences(of: "line 5\n", with: "line five\n")
    #expect(
      UnifiedDiff.make(from: old, to: new, oldName: "old", newName: "new") == """
        --- old
        +++ new
        @@ -2,7 +2,7 @@
         line 2
         line 3
         line 4
        -line 5
        +line five
         line 6
         line 7
         line 8

        """)
  }

  @Test func creationDeletionAndMissingFinalNewline() {
    #expect(
      UnifiedDiff.make(from: "", to: "a\nb\n", oldName: "/dev/null", newName: "new") == """
        --- /dev/null
        +++ new
        @@ -0,0 +1,2 @@
        +a
        +b

        """)
    #expect(
      UnifiedDiff.make(from: "a\n", to: "", oldName: "old", newName: "/dev/null") == """
        --- old
        +++ /dev/null
        @@ -1 +0,0 @@
        -a

        """)
    // Created or emptied whole: no final newline, and Windows line ends kept as they are.
    #expect(
      UnifiedDiff.make(from: "", to: "x", oldName: "/dev/null", newName: "new")
        == "--- /dev/null\n+++ new\n@@ -0,0 +1 @@\n+x\n\\ No newline at end of file\n")
    #expect(
      UnifiedDiff.make(from: "a\r\nb", to: "", oldName: "old", newName: "/dev/null")
        == "--- old\n+++ /dev/null\n@@ -1,2 +0,0 @@\n-a\r\n-b\n\\ No newline at end of file\n")
    #expect(
      UnifiedDiff.make(from: "a\nb\n", to: "a\nb", oldName: "old", newName: "new") == """
        --- old
        +++ new
        @@ -1,2 +1,2 @@
         a
        -b
        +b
        \\ No newline at end of file

        """)
  }

  @Test func namesThatWouldBreakAHeaderAreQuoted() throws {
    let diff = try #require(
      UnifiedDiff.make(from: "", to: "x\n", oldName: "/dev/null", newName: "a\nb \"c\"\\"))
    #expect(diff.hasPrefix("--- /dev/null\n+++ \"a\\nb \\\"c\\\"\\\\\"\n@@"))
  }

  @Test func distantChangesGetSeparateHunks() throws {
    let old = (1...30).map { "\($0)\n" }.joined()
    let new = old.replacingOccurrences(of: "\n3\n", with: "\nthree\n")
      .replacingOccurrences(of: "\n27\n", with: "\ntwenty-seven\n")
    let diff = try #require(UnifiedDiff.make(from: old, to: new, oldName: "a", newName: "b"))
    #expect(diff.components(separatedBy: "\n@@").count == 3)
    #expect(diff.contains("@@ -1,6 +1,6 @@"))
    #expect(diff.contains("@@ -24,7 +24,7 @@"))
  }

  /// `patch` (an independent implementation) turns the old text into the new one with our diff.
  @Test func patchAppliesEveryDiffExactly() async throws {
    let folder = try TemporaryFolder("diff")
    var generator = SeededGenerator(seed: 42)
    let vocabulary = ["alpha", "beta", "gamma", "", "  indented", "tab\there", "ünï", "x y z"]
    func randomText() -> String {
      let count = Int.random(in: 0...25, using: &generator)
      var text = (0..<count).map { _ in vocabulary.randomElement(using: &generator)! + "\n" }
        .joined()
      if Bool.random(using: &generator), !text.isEmpty { text.removeLast() }
      return text
    }
    for round in 0..<60 {
      let old = randomText()
      var new = old
      for _ in 0..<Int.random(in: 1...4, using: &generator) {
        var lines = new.components(separatedBy: "\n")
        let index = Int.random(in: 0...lines.count, using: &generator)
        switch Int.random(in: 0...2, using: &generator) {
        case 0: lines.insert(vocabulary.randomElement(using: &generator)!, at: index)
        case 1 where index < lines.count: lines.remove(at: index)
        default: if index < lines.count { lines[index] += " changed" }
        }
        new = lines.joined(separator: "\n")
      }
      guard let diff = UnifiedDiff.make(from: old, to: new, oldName: "a/file", newName: "b/file")
      else {
        #expect(old == new)
        continue
      }
      try folder.write("file", old)
      try folder.write("change.diff", diff)
      let status = try ChildProcess.run(
        "/usr/bin/patch",
        [
          "-s", "-p1", "--no-backup-if-mismatch", "-i", folder.appending("change.diff").path,
          folder.appending("file").path,
        ], directory: folder.path)
      #expect(status == 0, "round \(round): patch refused\n\(diff)")
      #expect(try folder.readText("file") == new, "round \(round)\n\(diff)")
    }
  }
}
