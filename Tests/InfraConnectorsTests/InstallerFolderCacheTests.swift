import Foundation
import InfraCore
import InfraTestSupport
import InfraTransport
import Testing

@testable import InfraConnectors

/// The Perl installer remembers the folders it found or made; a folder moved aside in the
/// same stream is forgotten, so what is written below its path after is refused as before,
/// not staged into a folder that is gone.
@Suite struct InstallerFolderCacheTests {
  @Test func aFolderMovedAsideIsLookedAtAgain() async throws {
    let folder = try TemporaryFolder("folder-cache")
    let transport = LocalTransport(host: InventoryHost(name: "local", connection: .local))
    let base = folder.appending("target").path
    var link = FileInstaller.Op(kind: .link, path: base + "/f", content: Data("nowhere".utf8))
    link.aside = true
    let ops = [
      FileInstaller.Op(kind: .write, path: base + "/f/x", content: Data("x\n".utf8)),
      link,
      FileInstaller.Op(kind: .write, path: base + "/f/y", content: Data("y\n".utf8)),
    ]
    let result = try await transport.run(
      FileInstaller.command(.auto), streaming: FileInstaller.Feed(ops).input, timeout: nil)
    let outcomes = FileInstaller.outcomes(result.stdout, count: ops.count)
    #expect((try? outcomes[0]?.get()) != nil, "\(outcomes) \(result.stderrText)")
    #expect((try? outcomes[1]?.get()) != nil, "\(outcomes) \(result.stderrText)")
    let message = outcomes[2].map {
      if case .failure(let error) = $0 { error.message } else { "ok" }
    }
    #expect(message == "\(base)/f: it is a file where a folder should be", "\(outcomes)")
    // The folder with x went aside whole; f is the link.
    #expect(try FileManager.default.destinationOfSymbolicLink(atPath: base + "/f") == "nowhere")
    let aside = try FileManager.default.contentsOfDirectory(atPath: base).filter {
      $0.hasPrefix("f.")
    }
    #expect(aside.count == 1)
    #expect(try folder.readText("target/\(aside[0])/x") == "x\n")
  }
}
