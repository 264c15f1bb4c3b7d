import Foundation
import InfraCore
import InfraEngine
import InfraTestSupport
import InfraTransport
import Testing

/// An apply whose lock cannot be given back at the end says so, with the way out, rather than
/// leaving the next apply to find the host locked without a word.
extension RunTests {
  @Test func aLockThatCannotBeRemovedIsAWarningThatNamesTheWayOut() async throws {
    try folder.write("resources/prod/first/web1/motd", "new")
    let locks = folder.path + "/locks"
    let run = try await run(
      ApplyJob(locking: LockSettings(folder: locks)), FakeConnector(log: log),
      transports: UnremovableLocks())
    let result = await run.start()

    // The change itself was made: only the lock stayed.
    #expect(result.output.applied?.succeeded == true)
    let warning = try #require(result.output.lockWarnings.first)
    #expect(result.output.lockWarnings.count == 1)
    #expect(warning.severity == .warning)
    #expect(
      warning.message
        == "the lock of web1 was kept: cannot remove the lock of web1: rm: cannot remove '\(locks)/web1.lock': Read-only file system; the lock folder must be writable by the connecting user (or its sudo user)"
    )
    #expect(
      warning.hint
        == "it is no longer renewed: the next apply takes it over once its lease (60s) has run out, or at once from this machine; `infra unlock web1` removes it now"
    )
    let reported = result.events.compactMap { record -> Diagnostic? in
      guard case .diagnostic(let diagnostic) = record.event else { return nil }
      return diagnostic
    }
    #expect(reported == [warning], "a program reading the events learns it too")

    let local = LocalTransport(host: InventoryHost(name: "web1", connection: .local))
    let holder = try await HostLock(host: "web1", folder: locks).holder(through: local)
    #expect(holder?.0?.run == run.id, "the lock is still there, naming this run")
  }
}

/// Local transports on which the lock cannot be removed, as on a read-only lock folder.
private struct UnremovableLocks: TransportProvider {
  func makeTransport(for host: InventoryHost) throws -> any Transport {
    NoRemoval(local: LocalTransport(host: host))
  }

  struct NoRemoval: Transport {
    let local: LocalTransport
    var host: InventoryHost { local.host }

    func connect() async throws { try await local.connect() }
    func disconnect() async { await local.disconnect() }
    func put(_ content: Data, at path: String, attributes: FileAttributes) async throws {
      try await local.put(content, at: path, attributes: attributes)
    }
    func get(_ path: String) async throws -> Data { try await local.get(path) }

    func run(_ command: ShellCommand, input: Data?, timeout: Duration?) async throws
      -> CommandResult
    {
      // The release script removes the lock with `rm -f`: this rm fails as a read-only
      // file system's would.
      let failingRemove = ShellCommand.raw(
        #"rm() { echo "rm: cannot remove '$2': Read-only file system" >&2; return 1; }"# + "\n")
      return try await local.run(failingRemove + command, input: input, timeout: timeout)
    }
  }
}
