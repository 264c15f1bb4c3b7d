import Foundation
import InfraCore
import InfraEngine
import InfraTestSupport
import InfraTransport
import Testing

/// The apply lock against the real shell of this machine: atomic, holder-naming, and never
/// released by anyone but its holder (or `infra unlock`).
@Suite struct HostLockTests {
  let folder: TemporaryFolder
  let transport = LocalTransport(host: InventoryHost(name: "web1", connection: .local))
  var lock: HostLock { HostLock(host: "web1", folder: folder.path + "/locks") }

  init() throws {
    folder = try TemporaryFolder("locks")
  }

  static func holder(_ run: String, pid: Int32 = 1) -> LockHolder {
    LockHolder(
      run: run, user: "alice", machine: "laptop", pid: pid, since: "2026-11-21T21:40:00.000Z",
      checkout: "/src/it's \"quoted\"")
  }

  /// Why taking the lock for `run` was refused; `nil` (an issue) if it was taken.
  func refusal(for run: String) async -> String? {
    do {
      try await lock.acquire(for: Self.holder(run), through: transport)
      Issue.record("took the lock for \(run)")
      return nil
    } catch {
      return "\(error)"
    }
  }

  @Test func ofManyRacingTakersExactlyOneWins() async throws {
    let lock = lock
    let transport = transport
    // Each taker reports `nil` when it won, or the holder it was refused by.
    let outcomes = await withTaskGroup(of: (String, LockHolder?)?.self) { group in
      for index in 0..<12 {
        group.addTask {
          do {
            try await lock.acquire(for: Self.holder("run-\(index)"), through: transport)
            return ("run-\(index)", nil)
          } catch LockError.held(_, let holder, _) {
            return ("run-\(index)", holder)
          } catch {
            Issue.record("unexpected \(error)")
            return nil
          }
        }
      }
      var outcomes: [(String, LockHolder?)] = []
      for await outcome in group { outcome.map { outcomes.append($0) } }
      return outcomes
    }
    let winners = outcomes.filter { $0.1 == nil }.map(\.0)
    try #require(winners.count == 1, "\(outcomes)")
    // Every loser saw the winner, whole: the holder is written in the same step as the lock.
    #expect(outcomes.compactMap(\.1) == Array(repeating: Self.holder(winners[0]), count: 11))
    #expect(try await lock.holder(through: transport)?.0 == Self.holder(winners[0]))
  }

  @Test func onlyTheHolderReleasesAndUnlockRemovesAnyone() async throws {
    try await lock.acquire(for: Self.holder("first"), through: transport)
    try await lock.release(for: Self.holder("second"), through: transport)
    #expect(try await lock.holder(through: transport)?.0 == Self.holder("first"), "not theirs")
    try await lock.release(for: Self.holder("first"), through: transport)
    #expect(try await lock.holder(through: transport) == nil)

    try await lock.acquire(for: Self.holder("crashed", pid: 4242), through: transport)
    let removed = try await lock.forceRelease(through: transport)
    #expect(removed?.0?.pid == 4242)
    #expect(try await lock.forceRelease(through: transport) == nil)
    try await lock.acquire(for: Self.holder("next"), through: transport)
  }

  @Test func waitingTakesTheLockOnceItIsFree() async throws {
    try await lock.acquire(for: Self.holder("first"), through: transport)
    let releaser = Task { [lock, transport] in
      try await Task.sleep(for: .milliseconds(300))
      try await lock.release(for: Self.holder("first"), through: transport)
    }
    try await lock.acquire(for: Self.holder("patient"), through: transport, wait: .seconds(30))
    try await releaser.value
    #expect(try await lock.holder(through: transport)?.0 == Self.holder("patient"))

    await #expect(throws: LockError.self) {
      try await lock.acquire(for: Self.holder("impatient"), through: transport, wait: .seconds(1))
    }
  }

  @Test func theHeldErrorNamesTheHolderAndTheWayOut() async throws {
    try await lock.acquire(for: Self.holder("first", pid: 77), through: transport)
    #expect(
      await refusal(for: "second")
        == "web1 is locked by alice@laptop (run first, pid 77, since 2026-11-21T21:40:00.000Z, checkout /src/it's \"quoted\"); another apply is running there, or one ended without releasing it (`infra unlock web1` removes it)"
    )
  }

  @Test func aFileInTheLocksPlaceIsNotTakenForALock() async throws {
    try folder.write("locks/web1.lock", "not a lock")
    #expect(
      await refusal(for: "first")
        == "cannot lock web1: \(folder.path)/locks/web1.lock exists and is not a lock infra made: remove it"
    )
    #expect(try folder.readText("locks/web1.lock") == "not a lock", "the file is left alone")
  }

  /// A holder on this machine, like the one this process would write, with `pid` and
  /// `started` as given.
  func local(_ run: String, pid: Int32, started: UInt64?) -> LockHolder {
    var holder = LockHolder.current(run: run, checkout: "/src")
    holder.pid = pid
    holder.started = started
    return holder
  }

  @Test func aHolderWhoseProcessIsGoneIsTakenOverAtOnce() async throws {
    let pid = ChildProcess.pidNoProcessHas
    try await lock.acquire(for: local("crashed", pid: pid, started: 1), through: transport)
    let takeover = try await lock.acquire(for: Self.holder("next"), through: transport)
    #expect(takeover?.reason == "its process, pid \(pid), has ended")
    #expect(takeover?.holder.contains("run crashed, pid \(pid)") == true)
    #expect(try await lock.holder(through: transport)?.0 == Self.holder("next"))

    // A pid that another process has now is no holder either: its start time differs.
    _ = try await lock.forceRelease(through: transport)
    let me = ProcessInfo.processInfo.processIdentifier
    try await lock.acquire(for: local("reused", pid: me, started: 1), through: transport)
    let reused = try await lock.acquire(for: Self.holder("next"), through: transport)
    #expect(reused?.reason == "its process, pid \(me), has ended (the pid is another's now)")
  }

  @Test func aHolderThatIsAliveKeepsItsLock() async throws {
    try await lock.acquire(
      for: LockHolder.current(run: "alive", checkout: "/src"), through: transport)
    await #expect(throws: LockError.self) {
      try await lock.acquire(for: Self.holder("next"), through: transport)
    }
  }

  @Test func aLeaseThatRanOutIsTakenOverAndARenewedOneIsNot() async throws {
    // A holder on another machine: only its lease says whether it is alive.
    try await lock.acquire(for: Self.holder("far"), through: transport)
    let age = try await transport.run(
      ShellCommand("touch", "-h", "-d", "90 seconds ago", lock.path))
    #expect(age.succeeded, "\(age.stderrText)")
    await #expect(throws: LockError.self, "the lease is 120 s") {
      try await lock.acquire(for: Self.holder("next"), through: transport, lease: .seconds(120))
    }
    #expect(try await lock.renew(for: Self.holder("far"), through: transport))
    #expect(try await !lock.renew(for: Self.holder("someone"), through: transport))
    await #expect(throws: LockError.self, "renewed just now") {
      try await lock.acquire(for: Self.holder("next"), through: transport, lease: .seconds(60))
    }
    _ = try await transport.run(ShellCommand("touch", "-h", "-d", "90 seconds ago", lock.path))
    let takeover = try await lock.acquire(
      for: Self.holder("next"), through: transport, lease: .seconds(60))
    let reason = try #require(takeover?.reason)
    #expect(reason.hasPrefix("its lease ran out: renewed 9"), "\(reason)")
    #expect(reason.hasSuffix(" s ago, the lease is 60 s"))
    #expect(try await lock.holder(through: transport)?.0 == Self.holder("next"))
  }

  @Test func theLockFolderIsPrivateAndAnotherUsersIsRefused() async throws {
    try await lock.acquire(for: Self.holder("first"), through: transport)
    let made = try FileManager.default.attributesOfItem(atPath: folder.path + "/locks")
    #expect((made[.posixPermissions] as? Int) == 0o700)
    _ = try await lock.forceRelease(through: transport)

    #expect(chown(folder.path + "/locks", 65534, 65534) == 0, "the tests run as root")
    let refused = await refusal(for: "second")
    #expect(
      refused?.contains("belongs to another user (uid 65534), who could take or remove its locks")
        == true, "\(refused ?? "took a lock in another user's folder")")
  }
}
