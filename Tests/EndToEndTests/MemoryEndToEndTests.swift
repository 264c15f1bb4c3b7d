import Foundation
import InfraTestSupport
import InfraTransport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// An apply streams contents from the repository to the host: its memory does not grow with
/// the bytes it changes.
@Suite struct MemoryEndToEndTests {
  /// The most memory (peak resident set) `infra apply` may use for a 1 GiB change set: what it
  /// needs for itself plus a few 1 MiB chunks in flight, with room for a debug build with
  /// coverage counters. Holding one of the files whole would exceed it.
  static let bound = 160 << 20
  static let fileSize = 256 << 20

  @Test func applyingFourFilesOf256MiBStaysUnderTheBound() async throws {
    let repo = try TestRepository("memory")
    try repo.writeConfig()
    for index in 0..<4 {
      try write(repo.root.appending("resources/test/files/local/big\(index)"), text: index < 2)
    }
    let scratch = try TemporaryFolder("memory")
    let usage = try await ChildProcess.measure(
      Infra.binary.path, ["apply", "--yes"], directory: repo.root.path,
      environment: Infra.environment(scratch: scratch),
      stdout: try scratch.write("stdout", "").path, stderr: try scratch.write("stderr", "").path,
      scratch: scratch.url)
    let (code, peak) = (usage.code, usage.peak)
    let output = (try? scratch.readText("stdout")) ?? ""
    #expect(code == 0, "\(output)\n\((try? scratch.readText("stderr")) ?? "")")
    #expect(output.contains("4 changed"), "\(output)")
    #expect(peak < Self.bound, "peak resident memory \(peak >> 20) MiB")
    for index in 0..<4 {
      let same = try ChildProcess.run(
        "/usr/bin/cmp",
        [
          "-s", repo.root.appending("resources/test/files/local/big\(index)").path,
          repo.target.appending("big\(index)").path,
        ])
      #expect(same == 0, "big\(index) arrived changed")
    }
  }

  /// A file of `fileSize` bytes, lines of text or binary with NUL bytes, written a MiB at a time.
  private func write(_ url: URL, text: Bool) throws {
    try FileManager.default.createDirectory(
      at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
      throw ChildProcessError(message: "cannot create \(url.path)")
    }
    let handle = try FileHandle(forWritingTo: url)
    defer { try? handle.close() }
    let chunk = 1 << 20
    var data = Data(capacity: chunk)
    if text {
      let line = Data("a line of \(url.lastPathComponent): ünï ✓\n".utf8)
      while data.count + line.count <= chunk { data.append(line) }
      data.append(Data(repeating: UInt8(ascii: "."), count: chunk - data.count - 1))
      data.append(UInt8(ascii: "\n"))
    } else {
      data = Data((0..<chunk).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 8) })
    }
    // Each MiB starts with its number, so that no two are alike.
    for part in 0..<(Self.fileSize / chunk) {
      let number = Data(String(format: "%08d\n", part).utf8)
      data.replaceSubrange(0..<number.count, with: number)
      try handle.write(contentsOf: data)
    }
  }
}
