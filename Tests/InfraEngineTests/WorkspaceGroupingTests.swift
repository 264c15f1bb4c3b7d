import Foundation
import InfraCore
import InfraEngine
import InfraTestSupport
import Synchronization
import Testing

/// The walk's files, handed to each connector as one array of its own; the change set asked
/// for only once they are found.
@Suite struct WorkspaceGroupingTests {
  /// Hosts are told (and connected to) before the change set is asked for: git runs while
  /// `infra.yaml` is read and the handshakes start, not before them.
  @Test func theInventoryIsToldBeforeTheChangeSetIsAskedFor() async throws {
    let folder = try TemporaryFolder("load-order")
    try folder.write("infra.yaml", "version: 1\nhosts:\n  here: { connect: local }\nprefixes: {}\n")
    let told = Mutex<[String]>([])
    let loader = WorkspaceLoader(
      registry: ConnectorRegistry([]),
      onInventory: { inventory in told.withLock { $0 += inventory.hosts.map(\.name) } })
    let asked = Mutex<[String]?>(nil)
    let outcome = await loader.load(Repository(root: folder.url)) {
      asked.withLock { $0 = told.withLock { $0 } }
      return nil
    }
    #expect(outcome.workspace != nil, "\(outcome.diagnostics.all)")
    #expect(asked.withLock { $0 } == ["here"])
  }

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
