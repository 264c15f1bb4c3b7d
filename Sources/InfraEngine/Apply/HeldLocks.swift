import Foundation
import InfraCore
import InfraTransport
import Synchronization

/// The host locks one run holds, taken together and released together.
struct HeldLocks: Sendable {
  /// The hosts whose lock this run took, or may have taken (the run stopped while it was
  /// being taken): releasing removes a lock only if this run holds it.
  var held: [(host: InventoryHost, lock: HostLock)] = []
  var holder: LockHolder
  /// Hosts whose lock another run holds or that could not be locked: the run must not go on.
  var failures: [Failure] = []
  /// A warning for each lock taken over from a holder that was gone.
  var takeovers: [Diagnostic] = []
  /// Renews the locks held while the run goes, from when they are all taken to their release.
  private var renewal: Renewal?
  /// How long a lock stays another run's once it is no longer renewed.
  private var lease = Duration.seconds(InfraConfig.defaultLockLease)

  init(holder: LockHolder) {
    self.holder = holder
  }

  /// How long releasing a lock may take: a host that hangs keeps its lock, and says so.
  static let releaseTimeout = Duration.seconds(10)

  /// Locks every host through the fleet, waiting as `settings` say. When any lock is held
  /// elsewhere the locks taken are given back at once: either this run holds all its hosts or
  /// none. A host that cannot be reached is left for the planner to report (its failed
  /// connection is kept, so it cannot be changed unlocked).
  static func take(
    _ hosts: [InventoryHost], settings: LockSettings, holder: LockHolder, fleet: Fleet
  ) async -> HeldLocks {
    let folder = settings.folder ?? InfraConfig.defaultLockFolder
    let lease = settings.lease ?? .seconds(InfraConfig.defaultLockLease)
    let tried = HostSet()
    let outcomes = await fleet.each(hosts) { host -> Taken in
      tried.insert(host.host.name)
      do {
        return .locked(
          try await HostLock(host: host.host.name, folder: folder).acquire(
            for: holder, through: host.transport(for: .lock), wait: settings.wait, lease: lease))
      } catch {
        return .failed(
          Failure(kind: .locked, host: host.host.name, message: "\(error)", resources: 0))
      }
    }
    var locks = HeldLocks(holder: holder)
    for (host, outcome) in zip(hosts, outcomes) {
      let lock = HostLock(host: host.name, folder: folder)
      switch outcome {
      case .done(.failed(let failure)): locks.failures.append(failure)
      case .done(.locked(let takeover)):
        locks.held.append((host, lock))
        if let takeover {
          locks.takeovers.append(
            .warning(
              "took over the lock of \(host.name) from \(takeover.holder): \(takeover.reason)",
              hint:
                "that run did not finish; what it did is in its events, and this apply plans from what the host has now"
            ))
        }
      case .stopped where tried.contains(host.name): locks.held.append((host, lock))
      case .stopped, .unreachable: break
      }
    }
    if !locks.failures.isEmpty {
      _ = await locks.release(through: fleet)
      locks.held = []
    } else if !locks.held.isEmpty {
      locks.lease = lease
      locks.renewal = Renewal(locks.held, holder: holder, every: lease / 3, fleet: fleet)
    }
    return locks
  }

  /// Gives back every lock this run holds, also after a stop. A host whose lock could not be
  /// given back (unreachable by now, hung, or the folder not writable) keeps it: each gives a
  /// warning that says why and what removes it.
  func release(through fleet: Fleet) async -> [Diagnostic] {
    let lost = await renewal?.end() ?? []
    let locks = Dictionary(held.map { ($0.host.name, $0.lock) }, uniquingKeysWith: { a, _ in a })
    let outcomes = await fleet.each(held.map(\.host), stoppable: false) {
      [holder] host -> String? in
      do {
        try await locks[host.host.name]?.release(
          for: holder, through: host.transport(for: .lock), timeout: Self.releaseTimeout)
        return nil
      } catch {
        return "\(error)"
      }
    }
    return zip(held, outcomes).compactMap { entry, outcome in
      let reason: String? =
        switch outcome {
        case .done(let reason): reason
        case .unreachable(let reason): "its host is unreachable: \(reason)"
        case .stopped: nil
        }
      let host = entry.host.name
      if lost.contains(host) {
        return .warning(
          "the lock of \(host) was taken over by another run while this one held it: its lease ran out, as it could not be renewed in time",
          hint:
            "another apply may have changed \(host) meanwhile; plan again to see what it has now")
      }
      return reason.map {
        .warning(
          "the lock of \(host) was kept: \($0)",
          hint:
            "it is no longer renewed: the next apply takes it over once its lease (\(lease.shortDescription)) has run out, or at once from this machine; `infra unlock \(host)` removes it now"
        )
      }
    }
  }
}

/// Host names that tasks add to: those whose lock was being taken when the run stopped (the
/// lock may be there), or whose lock was lost.
private final class HostSet: Sendable {
  private let hosts = Mutex<Set<String>>([])

  func insert(_ host: String) { hosts.withLock { _ = $0.insert(host) } }
  func contains(_ host: String) -> Bool { hosts.withLock { $0.contains(host) } }
  var all: Set<String> { hosts.withLock { $0 } }
}

/// How taking one host's lock ended: taken (over from a holder that was gone, or not), or not.
private enum Taken: Sendable {
  case locked(Takeover?)
  case failed(Failure)
}

/// Renews a run's locks every `interval` until `end`: a lock whose run is alive never lapses,
/// and one whose run died lapses a lease later. The hosts whose lock turned out to be another
/// run's (taken over when a renewal did not come in time) are remembered.
private final class Renewal: Sendable {
  private let task: Task<Void, Never>
  private let lost = HostSet()

  init(
    _ held: [(host: InventoryHost, lock: HostLock)], holder: LockHolder, every interval: Duration,
    fleet: Fleet
  ) {
    let lost = lost
    let locks = Dictionary(held.map { ($0.host.name, $0.lock) }, uniquingKeysWith: { a, _ in a })
    let hosts = held.map(\.host)
    task = Task {
      while (try? await Task.sleep(for: interval)) != nil {
        // Not stoppable: a canceled run's locks are renewed until the ops running finish.
        _ = await fleet.each(hosts, stoppable: false) { host in
          let name = host.host.name
          let renewed = try? await locks[name]?.renew(
            for: holder, through: host.transport(for: .lock))
          if renewed == false { lost.insert(name) }
        }
      }
    }
  }

  /// Stops renewing; returns the hosts whose lock was lost.
  func end() async -> Set<String> {
    task.cancel()
    await task.value
    return lost.all
  }
}
