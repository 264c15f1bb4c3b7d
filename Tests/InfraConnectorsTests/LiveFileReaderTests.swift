import Foundation
import Testing

@testable import InfraConnectors

@Suite struct LiveFileReaderTests {
  func records(_ parts: [String]) -> Data {
    Data(parts.joined(separator: "\0").utf8) + Data([0])
  }

  @Test func parsesStatAndHashRecordsWithAnyName() throws {
    let hash = String(repeating: "ab", count: 32)
    let name = "/tmp/a\tb\nc"
    let reading = try LiveFileReader.parse(
      records([
        "S\tregular file\t644\t0\t0\t12\t\(name)",
        "S\tdirectory\t755\t0\t0\t4096\t/tmp/d",
        "S\tregular empty file\t600\t1000\t1000\t0\t/tmp/locked",
        "\(hash)  \(name)",
        "N\tu\troot:x:0:0:root:/root:/bin/sh\nme:x:1000:1000::/home/me:/bin/sh\n",
        "N\tg\troot:x:0:\n",
        "T\t/tmp/.infra-tmp-42-000001",
        "R\t123\t0",
      ]))
    let files = reading.files
    #expect(reading.strays == ["/tmp/.infra-tmp-42-000001"])
    #expect(files[name]?.kind == .file)
    #expect(files[name]?.sha256 == hash)
    #expect(files[name]?.mode == 0o644)
    #expect(files["/tmp/d"]?.kind == .directory)
    // Owners by name where the host knows them, by number where it does not.
    #expect(files[name]?.owner == "root" && files[name]?.group == "root")
    #expect(files["/tmp/locked"]?.owner == "me" && files["/tmp/locked"]?.group == "1000")
    // A regular file with no hash could not be read.
    #expect(files["/tmp/locked"]?.kind == .unreadable)
  }

  @Test func missingToolsAndGarbageAreErrors() {
    #expect(throws: LiveFileReader.ReadError.self) {
      try LiveFileReader.parse(self.records(["R\t127\t0"]), stderr: "xargs: stat: No such file")
    }
    #expect(throws: LiveFileReader.ReadError.self) {
      try LiveFileReader.parse(self.records(["S\tregular file\t644"]))
    }
    #expect(throws: LiveFileReader.ReadError.self) {
      try LiveFileReader.parse(Data("bash: sh: command not found\n".utf8))
    }
  }
}
