import Foundation
import InfraCore
import InfraEngine
import Testing

/// The walk's files, handed to each connector as one array of its own.
@Suite struct WorkspaceGroupingTests {
  private func file(_ prefix: String, _ segments: String...) -> ResourceFile {
    let address = Address(prefix: prefix, segments: segments)
    return ResourceFile(address: address, filePath: "/repo/" + address.repositoryPath)
  }

  /// Each connector gets its files in the walk's order, a connector seen again later (out of
  /// order) gets those too, and the walk's array is emptied.
  @Test func filesAreGroupedByConnectorInOrder() {
    let ordered = [
      file("demo", "files", "web1", "a"), file("demo", "files", "web1", "b"),
      file("demo", "users", "alice.yaml"), file("prod", "files", "@all", "motd"),
      file("prod", "packages", "web1.yaml"),
    ]
    var files = ordered + [file("demo", "files", "web2", "c")]
    let grouped = WorkspaceLoader.byConnector(taking: &files)
    #expect(files.isEmpty)
    #expect(grouped.count == 4)
    #expect(
      grouped[ConnectorID(prefix: "demo", name: "files")]?.map(\.path) == [
        "resources/demo/files/web1/a", "resources/demo/files/web1/b",
        "resources/demo/files/web2/c",
      ])
    #expect(grouped[ConnectorID(prefix: "demo", name: "users")] == [ordered[2]])
    #expect(grouped[ConnectorID(prefix: "prod", name: "files")] == [ordered[3]])
    #expect(grouped[ConnectorID(prefix: "prod", name: "packages")] == [ordered[4]])
    var none: [ResourceFile] = []
    #expect(WorkspaceLoader.byConnector(taking: &none).isEmpty)
  }
}
