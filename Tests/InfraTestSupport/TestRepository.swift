import Foundation
import InfraCore

/// A throw-away infra repository with a target folder beside it, for tests that plan and apply
/// against the real local file system.
package final class TestRepository: Sendable {
  package let root: TemporaryFolder
  /// Where the `files` connector's `root` option points: the "host" side of the test.
  package let target: TemporaryFolder

  package init(_ label: String = "repo") throws {
    root = try TemporaryFolder("\(label)-repo")
    target = try TemporaryFolder("\(label)-target")
  }

  package var repository: Repository { Repository(root: root.url) }

  /// A one-host config whose `files` connector writes below `target`.
  /// `options` are further `files` options, e.g. `writer: shell`.
  package func writeConfig(
    extraHosts: String = "", connectorOptions: String = "", options: [String] = [],
    lockLease: Int? = nil
  ) throws {
    try root.write(
      "infra.yaml",
      """
      version: 1
      hosts:
        local:
          connect: local
          groups: [web]
      \(extraHosts)
      locks:
        folder: \(root.path)/.infra/locks
      \(lockLease.map { "  lease: \($0)" } ?? "")
      prefixes:
        test:
          connectors:
            - name: files
              options:
                root: \(target.path)
      \(options.map { "          " + $0 }.joined(separator: "\n"))
      \(connectorOptions)
      """)
  }

  /// Writes a resource file under `resources/test/files/`.
  @discardableResult
  package func resource(_ relative: String, _ content: String) throws -> URL {
    try root.write("resources/test/files/\(relative)", content)
  }

  @discardableResult
  package func resource(_ relative: String, data: Data) throws -> URL {
    try root.write("resources/test/files/\(relative)", data: data)
  }
}
