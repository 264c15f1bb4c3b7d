import Foundation
import InfraCore
import InfraTestSupport
import InfraTransport
import Testing

/// A writer killed mid-write leaves its temporary file; the next apply that writes into that
/// folder removes it, and only what is surely infra's and surely dead.
extension FilesLifecycleTests {
  @Test(arguments: writers)
  func aDeadWritersTemporaryFileIsRemovedByTheNextWriteIntoItsFolder(writer: String) async throws {
    try use(writer)
    let dead = ChildProcess.pidNoProcessHas
    let alive = ProcessInfo.processInfo.processIdentifier
    try repo.target.write("etc/.infra-tmp-\(dead)-123456", "half a file")
    try repo.target.write("etc/.infra-tmp-\(alive)-654321", "a write going on")
    try repo.target.write("etc/.infra-notes", "the user's own")
    try repo.target.write("etc/.infra-tmp-x-1", "not a pid")
    try repo.target.write("other/.infra-tmp-\(dead)-777777", "a folder not written to")
    try repo.resource("local/etc/motd", "hello\n")
    // The plan names the dead writer's file, and no other.
    let details = try await harness.plan().changes.flatMap(\.op.details)
    #expect(
      details == [
        "also removes 1 temporary file that a killed run left in \(repo.target.path)/etc: .infra-tmp-\(dead)-123456"
      ])
    let result = try await harness.apply()
    #expect(result.succeeded && result.changedCount == 1)

    #expect(!repo.target.exists("etc/.infra-tmp-\(dead)-123456"), "the dead writer's is gone")
    #expect(repo.target.exists("etc/.infra-tmp-\(alive)-654321"), "a live writer's stays")
    #expect(repo.target.exists("etc/.infra-notes"))
    #expect(repo.target.exists("etc/.infra-tmp-x-1"))
    #expect(repo.target.exists("other/.infra-tmp-\(dead)-777777"))
    #expect(try repo.target.readText("etc/motd") == "hello\n")
  }
}
