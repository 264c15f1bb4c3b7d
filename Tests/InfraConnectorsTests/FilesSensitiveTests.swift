import Foundation
import InfraCore
import InfraEngine
import InfraTestSupport
import Testing

/// `sensitive: true` of a folder reaches every file below it, those to delete too.
@Suite struct FilesSensitiveTests {
  @Test func aFileToDeleteInASensitiveFolderShowsNothingOfWhatTheHostHas() async throws {
    let repo = try TestRepository("files-sensitive")
    try repo.writeConfig()
    try repo.resource("local/etc/keys/.infra-attrs.yaml", "sensitive: true\n")
    try repo.resource(
      "local/etc/keys/tls/.infra-attrs.yaml", "files:\n  old.key: { state: absent }\n")
    try repo.resource("local/etc/keys/tls/new.key", "new-key-material\n")
    try repo.target.write("etc/keys/tls/old.key", "old-key-material\n")

    let plan = try await Harness(repo: repo).plan()
    #expect(plan.changes.count == 2, "\(plan.changes)")
    for change in plan.changes {
      #expect(change.op.sensitive, "\(change.address)")
      #expect(change.op.diff == nil && change.op.details.isEmpty, "\(change.op)")
    }
  }
}
