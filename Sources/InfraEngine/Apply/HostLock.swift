import Foundation
import InfraCore
import InfraTransport
import Synchronization

/// Who holds a host's lock: enough to find the run and its process, or to decide it is dead.
public struct LockHolder: Hashable, Sendable, Codable, CustomStringConvertible {
  /// The id of the run that holds the lock.
  public var run: String
  /// The user the holding process runs as.
  public var user: String
  /// The name of the machine the holding process runs on.
  public var machine: String
  /// The holding process's id on that machine.
  public var pid: Int32
  /// When the lock was taken, RFC 3339 in UTC.
  public var since: String
  /// The checkout that applies: the repository root on the holder's machine.
  public var checkout: String

  /// A holder from its parts, e.g. as read back from a lock.
  public init(
    run: String, user: String, machine: String, pid: Int32, since: String, checkout: String
  ) {
    self.run = run
    self.user = user
    self.machine = machine
    self.pid = pid
    self.since = since
    self.checkout = checkout
  }

  /// The holder of locks taken by this process for `run`.
  package static func current(run: String, checkout: String) -> LockHolder {
    let user =
      getpwuid(getuid()).flatMap { String(validatingCString: $0.pointee.pw_name) }
      ?? ProcessInfo.processInfo.environment["USER"] ?? String(getuid())
    return LockHolder(
      run: run, user: user, machine: ProcessInfo.processInfo.hostName,
      pid: ProcessInfo.processInfo.processIdentifier,
      since: RunEventRecord.timestamp(Date()), checkout: checkout)
  }

  /// `alice@laptop (run 20261121T…, pid 4242, since 2026-11-21T21:40:00.000Z, checkout /src/infra)`
  public var description: String {
    "\(user)@\(machine) (run \(run), pid \(pid), since \(since), checkout \(checkout))"
  }

  /// The holder as one line of JSON: what the lock on the host holds.
  var encoded: String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return String(decoding: (try? encoder.encode(self)) ?? Data(), as: UTF8.self)
  }

  static func decode(_ text: String) -> LockHolder? {
    try? JSONDecoder().decode(LockHolder.self, from: Data(text.utf8))
  }
}

/// Why a lock could not be taken.
package enum LockError: Error, Hashable, Sendable, CustomStringConvertible {
  /// Another run holds the host; `raw` is what the lock holds when it cannot be decoded.
  case held(host: String, holder: LockHolder?, raw: String)
  /// The lock could not be made or read on the host.
  case failed(host: String, message: String)
  /// The lock could not be removed (`infra unlock`).
  case cannotRemove(host: String, message: String)

  package var description: String {
    switch self {
    case .held(let host, let holder, let raw):
      "\(host) is locked by \(holder?.description ?? "'\(raw)'"); another apply is running there, or one ended without releasing it (`infra unlock \(host)` removes it)"
    case .failed(let host, let message): "cannot lock \(host): \(message)"
    case .cannotRemove(let host, let message):
      "cannot remove the lock of \(host): \(message); the lock folder must be writable by the connecting user (or its sudo user)"
    }
  }
}

/// The apply lock of one host, kept on the host itself so that applies from any checkout or
/// machine exclude each other: a symbolic link in `folder` named after the host, whose target
/// is the holder as JSON. Creating a link is atomic and fails when it exists, so exactly one
/// of two racing applies gets it, and it carries its holder from the first instant.
package struct HostLock: Sendable {
  package var host: String
  /// The folder on the host that holds the lock (`locks: { folder: }` in infra.yaml).
  package var folder: String

  package init(host: String, folder: String = InfraConfig.defaultLockFolder) {
    self.host = host
    self.folder = folder
  }

  var path: String { folder + "/" + host.replacingOccurrences(of: "/", with: "_") + ".lock" }

  /// Takes the lock for `holder`, retrying every second until `wait` has passed; throws
  /// `LockError.held` naming the holder when it stays taken.
  package func acquire(
    for holder: LockHolder, through transport: any Transport, wait: Duration = .zero
  ) async throws {
    let deadline = ContinuousClock.now + wait
    let target = holder.encoded
    let script = ShellCommand.raw(
      """
      [ -d \(shellQuote(folder)) ] || { mkdir -p \(shellQuote(folder)) && chmod 1777 \(shellQuote(folder)); } 2>/dev/null
      if ln -s \(shellQuote(target)) \(shellQuote(path)) 2>/dev/null; then echo acquired
      elif holder=$(readlink \(shellQuote(path))); then printf 'held %s\\n' "$holder"
      elif [ -e \(shellQuote(path)) ]; then echo "\(path) exists and is not a lock infra made: remove it" >&2; exit 1
      elif [ -d \(shellQuote(folder)) ] && [ -w \(shellQuote(folder)) ]; then echo retry
      else echo "cannot create \(path)" >&2; exit 1
      fi
      """)
    // `retry`: the lock went between `ln` and `readlink` (its holder let go): at once again.
    var retries = 0
    while true {
      let result = try await transport.run(script)
      guard result.succeeded else {
        let message = result.stderrText.trimmingCharacters(in: .whitespacesAndNewlines)
        throw LockError.failed(host: host, message: message)
      }
      let output = result.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
      if output == "acquired" { return }
      if output == "retry" {
        retries += 1
        guard retries < 10 else {
          throw LockError.failed(host: host, message: "\(path) keeps appearing and going")
        }
        continue
      }
      let raw = String(output.dropFirst("held ".count))
      guard ContinuousClock.now < deadline else {
        throw LockError.held(host: host, holder: LockHolder.decode(raw), raw: raw)
      }
      try await Task.sleep(for: .seconds(1))
    }
  }

  /// Gives the lock up, if `holder` still holds it (never someone else's).
  /// Gives up at `timeout` (a host that hangs); throws when the lock could not be removed.
  package func release(
    for holder: LockHolder, through transport: any Transport, timeout: Duration? = nil
  ) async throws {
    let script = ShellCommand.raw(
      """
      if [ "$(readlink \(shellQuote(path)) 2>/dev/null)" = \(shellQuote(holder.encoded)) ]; then
        rm -f \(shellQuote(path)) || exit 1
      fi
      """)
    let result = try await transport.run(script, input: nil, timeout: timeout)
    guard result.succeeded else {
      let message = result.stderrText.trimmingCharacters(in: .whitespacesAndNewlines)
      throw LockError.cannotRemove(host: host, message: message)
    }
  }

  /// Who holds the lock now, if anyone: `(holder, raw)`.
  package func holder(through transport: any Transport) async throws -> (LockHolder?, String)? {
    let result = try await transport.run(
      ShellCommand.raw("readlink \(shellQuote(path)) 2>/dev/null || true"))
    let raw = result.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
    return raw.isEmpty ? nil : (LockHolder.decode(raw), raw)
  }

  /// Removes the lock whoever holds it (`infra unlock`); returns what it held, `nil` if none.
  package func forceRelease(through transport: any Transport) async throws -> (LockHolder?, String)?
  {
    let result = try await transport.run(
      ShellCommand.raw(
        """
        if holder=$(readlink \(shellQuote(path)) 2>/dev/null); then
          rm -f \(shellQuote(path)) || exit 1; printf '%s\\n' "$holder"
        fi
        """))
    guard result.succeeded else {
      let message = result.stderrText.trimmingCharacters(in: .whitespacesAndNewlines)
      throw LockError.cannotRemove(host: host, message: message)
    }
    let raw = result.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
    return raw.isEmpty ? nil : (LockHolder.decode(raw), raw)
  }
}

/// How an apply locks its hosts.
public struct LockSettings: Sendable {
  /// The folder on each host that holds its lock; `nil` takes the workspace's
  /// (`locks: { folder: }` in infra.yaml).
  public var folder: String?
  /// How long to wait for a lock another run holds before giving up.
  public var wait: Duration

  /// By default the workspace's folder, and no waiting: a lock another run holds fails at once.
  public init(folder: String? = nil, wait: Duration = .zero) {
    self.folder = folder
    self.wait = wait
  }
}

/// The host locks one run holds, taken together and released together.
struct HeldLocks: Sendable {
  /// The hosts whose lock this run took, or may have taken (the run stopped while it was
  /// being taken): releasing removes a lock only if this run holds it.
  var held: [(host: InventoryHost, lock: HostLock)] = []
  var holder: LockHolder
  /// Hosts whose lock another run holds or that could not be locked: the run must not go on.
  var failures: [Failure] = []

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
    let tried = Tried()
    let outcomes = await fleet.each(hosts) { host -> Failure? in
      tried.insert(host.host.name)
      do {
        try await HostLock(host: host.host.name, folder: folder).acquire(
          for: holder, through: host.transport(for: .lock), wait: settings.wait)
        return nil
      } catch {
        return Failure(kind: .locked, host: host.host.name, message: "\(error)", resources: 0)
      }
    }
    var locks = HeldLocks(holder: holder)
    for (host, outcome) in zip(hosts, outcomes) {
      switch outcome {
      case .done(let failure?): locks.failures.append(failure)
      case .done(nil): locks.held.append((host, HostLock(host: host.name, folder: folder)))
      case .stopped where tried.contains(host.name):
        locks.held.append((host, HostLock(host: host.name, folder: folder)))
      case .stopped, .unreachable: break
      }
    }
    if !locks.failures.isEmpty {
      _ = await locks.release(through: fleet)
      locks.held = []
    }
    return locks
  }

  /// Gives back every lock this run holds, also after a stop. A host whose lock could not be
  /// given back (unreachable by now, hung, or the folder not writable) keeps it: each gives a
  /// warning that says why and what removes it.
  func release(through fleet: Fleet) async -> [Diagnostic] {
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
      return reason.map {
        .warning(
          "the lock of \(host) was kept: \($0)",
          hint: "no apply can run on \(host) until `infra unlock \(host)` removes it")
      }
    }
  }
}

/// The hosts whose lock was being taken when the run stopped: the lock may be there.
private final class Tried: Sendable {
  private let hosts = Mutex<Set<String>>([])

  func insert(_ host: String) { hosts.withLock { _ = $0.insert(host) } }
  func contains(_ host: String) -> Bool { hosts.withLock { $0.contains(host) } }
}
