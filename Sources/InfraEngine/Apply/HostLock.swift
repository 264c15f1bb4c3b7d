import Foundation
import InfraCore
import InfraTransport

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

  package var description: String {
    switch self {
    case .held(let host, let holder, let raw):
      "\(host) is locked by \(holder?.description ?? "'\(raw)'"); another apply is running there, or one ended without releasing it (`infra unlock \(host)` removes it)"
    case .failed(let host, let message): "cannot lock \(host): \(message)"
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
      elif [ -d \(shellQuote(folder)) ] && [ -w \(shellQuote(folder)) ]; then echo retry
      else echo "cannot create \(path)" >&2; exit 1
      fi
      """)
    while true {
      let result = try await transport.run(script)
      guard result.succeeded else {
        let message = result.stderrText.trimmingCharacters(in: .whitespacesAndNewlines)
        throw LockError.failed(host: host, message: message)
      }
      let output = result.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
      if output == "acquired" { return }
      if output != "retry" {
        let raw = String(output.dropFirst("held ".count))
        guard ContinuousClock.now < deadline else {
          throw LockError.held(host: host, holder: LockHolder.decode(raw), raw: raw)
        }
      }
      try await Task.sleep(for: .seconds(1))
    }
  }

  /// Gives the lock up, if `holder` still holds it (never someone else's).
  package func release(for holder: LockHolder, through transport: any Transport) async throws {
    let script = ShellCommand.raw(
      """
      [ "$(readlink \(shellQuote(path)) 2>/dev/null)" = \(shellQuote(holder.encoded)) ] && rm -f \(shellQuote(path)); true
      """)
    _ = try await transport.run(script)
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
      throw LockError.failed(host: host, message: message)
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
  var held: [(host: InventoryHost, lock: HostLock)] = []
  var holder: LockHolder
  /// Hosts whose lock another run holds or that could not be locked: the run must not go on.
  var failures: [Failure] = []

  /// Locks every host through the fleet, waiting as `settings` say. When any lock is held
  /// elsewhere the locks taken are given back at once: either this run holds all its hosts or
  /// none. A host that cannot be reached is left for the planner to report (its failed
  /// connection is kept, so it cannot be changed unlocked).
  static func take(
    _ hosts: [InventoryHost], settings: LockSettings, holder: LockHolder, fleet: Fleet
  ) async -> HeldLocks {
    let folder = settings.folder ?? InfraConfig.defaultLockFolder
    let outcomes = await fleet.each(hosts) { host -> Failure? in
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
      guard case .done(let failure) = outcome else { continue }
      if let failure {
        locks.failures.append(failure)
      } else {
        locks.held.append((host, HostLock(host: host.name, folder: folder)))
      }
    }
    if !locks.failures.isEmpty {
      await locks.release(through: fleet)
      locks.held = []
    }
    return locks
  }

  /// Gives back every lock this run holds, also after a stop; a host that cannot be reached
  /// any more keeps its lock, which `infra unlock` removes.
  func release(through fleet: Fleet) async {
    let locks = Dictionary(held.map { ($0.host.name, $0.lock) }, uniquingKeysWith: { a, _ in a })
    _ = await fleet.each(held.map(\.host), stoppable: false) { [holder] host in
      try? await locks[host.host.name]?.release(for: holder, through: host.transport(for: .lock))
    }
  }
}
