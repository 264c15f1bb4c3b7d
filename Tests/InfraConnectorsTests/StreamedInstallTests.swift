import Crypto
import Foundation
import InfraCore
import InfraTestSupport
import InfraTransport
import Testing

@testable import InfraConnectors

/// Contents stream from repository files to the installer: a source that changed since the plan
/// is withdrawn after it was sent, and one that cannot be read ends the stream before its op.
@Suite struct StreamedInstallTests {
  let transport = LocalTransport(host: InventoryHost(name: "local", connection: .local))
  let folder: TemporaryFolder

  init() throws {
    folder = try TemporaryFolder("streamed")
  }

  private func op(_ name: String, source: String, planned: String) -> FileInstaller.Op {
    FileInstaller.Op(
      kind: .write, path: folder.appending("target/\(name)").path,
      source: .file(
        folder.appending("repo/\(source)"), name: source,
        sha256: SHA256.hash(data: Data(planned.utf8)).hexString),
      mode: nil, owner: nil, group: nil)
  }

  @Test(arguments: [FileInstaller.Writer.auto, .shell])
  func aSourceThatChangedIsWithdrawnAndTheTargetKept(writer: FileInstaller.Writer) async throws {
    try folder.write("repo/good", "good\n")
    try folder.write("repo/edited", "edited after the plan\n")
    try folder.write("repo/shrunk", "s\n")
    try folder.write("target/edited", "old\n")
    try folder.write("target/shrunk", "old\n")
    for (index, edited) in ["edited", "shrunk"].enumerated() {
      let ops = [
        op("good\(index)", source: "good", planned: "good\n"),
        op(edited, source: edited, planned: "the planned content\n"),
        op("after\(index)", source: "good", planned: "good\n"),
      ]
      let feed = FileInstaller.Feed(ops)
      let result = try await transport.run(
        FileInstaller.command(writer), streaming: feed.input, timeout: nil)
      let outcomes = FileInstaller.outcomes(result.stdout, count: ops.count)
      #expect((try? outcomes[0]?.get()) != nil, "\(outcomes) \(result.stderrText)")
      #expect(
        outcomes[1].map { if case .failure(let error) = $0 { error.message } else { "ok" } }
          == "infra withdrew it")
      #expect(outcomes[2] == nil)
      #expect(feed.stopped?.index == 1)
      #expect(
        feed.stopped?.reason == "\(edited) changed after it was planned; run the plan again")
      #expect(try folder.readText("target/good\(index)") == "good\n")
      #expect(try folder.readText("target/\(edited)") == "old\n")
      #expect(!folder.exists("target/after\(index)"))
    }
    #expect(!folder.files().contains { $0.contains(".infra-") }, "\(folder.files())")
  }

  @Test(arguments: [FileInstaller.Writer.auto, .shell])
  func aSourceThatCannotBeReadEndsTheStreamBeforeIt(writer: FileInstaller.Writer) async throws {
    try folder.write("repo/good", "good\n")
    let ops = [
      op("good", source: "good", planned: "good\n"),
      op("gone", source: "gone", planned: "gone\n"),
      op("after", source: "good", planned: "good\n"),
    ]
    let feed = FileInstaller.Feed(ops)
    let result = try await transport.run(
      FileInstaller.command(writer), streaming: feed.input, timeout: nil)
    let outcomes = FileInstaller.outcomes(result.stdout, count: ops.count)
    #expect((try? outcomes[0]?.get()) != nil, "\(outcomes) \(result.stderrText)")
    #expect(outcomes[1] == nil && outcomes[2] == nil)
    #expect(result.exitCode == 0)
    #expect(feed.stopped?.index == 1)
    #expect(feed.stopped?.reason == "cannot read gone: No such file or directory")
    #expect(!folder.exists("target/gone") && !folder.exists("target/after"))
  }

  /// Output cut short by a lost connection may end inside a record: only whole ones count.
  @Test func onlyWholeAnswersCount() {
    let outcomes = FileInstaller.outcomes(Data("ok\0fail a: no\0o".utf8), count: 4)
    #expect((try? outcomes[0]?.get()) != nil)
    #expect(
      outcomes[1].map { if case .failure(let error) = $0 { error.message } else { "ok" } }
        == "a: no")
    #expect(outcomes[2] == nil && outcomes[3] == nil)
    #expect(FileInstaller.outcomes(Data("ok".utf8), count: 1)[0] == nil)
  }

  /// Chunks cut anywhere, also inside a character, give what the whole content gives.
  @Test func textIsRecognisedAcrossChunksCutAnywhere() {
    var random = SeededGenerator(seed: 13)
    let samples: [[UInt8]] = [
      Array("ünï ✓ 𝄞\nzwei\n".utf8), Array("no newline".utf8), Array("a\r\nb\r\n".utf8), [],
      Array("bad \u{FF}".utf8) + [0xFF], [0x61, 0x00, 0x62], [0xE2, 0x9C],
      [0xF0, 0x9D, 0x84, 0x9E],
    ]
    for sample in samples {
      let data = Data(sample)
      let whole = textContent(data)
      let expectedLines =
        whole.map { text in
          text.utf8.count { $0 == UInt8(ascii: "\n") }
            + (text.utf8.last.map { $0 == UInt8(ascii: "\n") } ?? true ? 0 : 1)
        } ?? 0
      for _ in 0..<50 {
        var scan = TextScan()
        var offset = 0
        while offset < sample.count {
          let size = Int.random(in: 1...4, using: &random)
          scan.add(Data(sample[offset..<min(offset + size, sample.count)]))
          offset += size
        }
        #expect(scan.finish() == (whole != nil), "\(sample)")
        #expect((whole == nil ? 0 : scan.lines) == expectedLines, "\(sample)")
      }
    }
  }
}
