import Foundation
import InfraCore
import InfraTransport

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

  package var path: String {
    folder + "/" + host.replacingOccurrences(of: "/", with: "_") + ".lock"
  }

  /// Takes the lock for `holder`, retrying every second until `wait` has passed; throws
  /// `LockError.held` naming the holder when it stays taken. A lock whose holder is known to
  /// be gone (it ran on this machine, and its process has ended) or whose lease ran out (not
  /// renewed for `lease`) is taken over: what it was, and why, is returned.
  @discardableResult
  package func acquire(
    for holder: LockHolder, through transport: any Transport, wait: Duration = .zero,
    lease: Duration = .seconds(InfraConfig.defaultLockLease)
  ) async throws -> Takeover? {
    let deadline = ContinuousClock.now + wait
    // `retry`: the lock went between `ln` and `readlink` (its holder let go), or another run
    // was taking a stale one over: at once again.
    var retries = 0
    while true {
      let output = try await run(acquireScript(holder), through: transport)
      if output == "acquired" { return nil }
      if output != "retry" {
        let fields = output.split(separator: " ", maxSplits: 2).map(String.init)
        let age = fields.count == 3 ? Int(fields[1]) : nil
        let raw = fields.count == 3 ? fields[2] : String(output.dropFirst("held ".count))
        let current = LockHolder.decode(raw)
        let leaseSeconds = Int(lease.components.seconds)
        let gone =
          current?.goneFromThisMachine
          ?? age.flatMap {
            $0 > leaseSeconds
              ? "its lease ran out: renewed \($0) s ago, the lease is \(leaseSeconds) s" : nil
          }
        if let gone {
          let script = takeoverScript(holder, replacing: raw, lease: leaseSeconds)
          if try await run(script, through: transport) == "acquired" {
            return Takeover(holder: current?.description ?? "'\(raw)'", reason: gone)
          }
        } else {
          guard ContinuousClock.now < deadline else {
            throw LockError.held(host: host, holder: current, raw: raw)
          }
          try await Task.sleep(for: .seconds(1))
          continue
        }
      }
      retries += 1
      guard retries < 10 else {
        throw LockError.failed(host: host, message: "\(path) keeps appearing and going")
      }
    }
  }

  /// Renews the lease of `holder`'s lock; `false` when the lock is not `holder`'s any more.
  package func renew(for holder: LockHolder, through transport: any Transport) async throws
    -> Bool
  {
    let script = ShellCommand.raw(
      """
      if [ "$(readlink \(shellQuote(path)) 2>/dev/null)" = \(shellQuote(holder.encoded)) ]; then
        touch -h \(shellQuote(path)) && echo renewed
      else echo lost
      fi
      """)
    return try await run(script, through: transport) == "renewed"
  }

  /// Runs a lock script, giving up at `timeout`: its output, trimmed. Its error output is the
  /// message of the error it fails with, `failed` unless `removing`.
  private func run(
    _ script: ShellCommand, through transport: any Transport, timeout: Duration? = nil,
    removing: Bool = false
  ) async throws -> String {
    let result = try await transport.run(script, input: nil, timeout: timeout)
    guard result.succeeded else {
      let message = result.stderrText.trimmingCharacters(in: .whitespacesAndNewlines)
      throw removing
        ? LockError.cannotRemove(host: host, message: message)
        : LockError.failed(host: host, message: message)
    }
    return result.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
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
    _ = try await run(script, through: transport, timeout: timeout, removing: true)
  }

  /// Who holds the lock now, if anyone: `(holder, raw)`.
  package func holder(through transport: any Transport) async throws -> (LockHolder?, String)? {
    let raw = try await run(
      ShellCommand.raw("readlink \(shellQuote(path)) 2>/dev/null || true"), through: transport)
    return raw.isEmpty ? nil : (LockHolder.decode(raw), raw)
  }

  /// Removes the lock whoever holds it (`infra unlock`); returns what it held, `nil` if none.
  package func forceRelease(through transport: any Transport) async throws -> (LockHolder?, String)?
  {
    let script = ShellCommand.raw(
      """
      if holder=$(readlink \(shellQuote(path)) 2>/dev/null); then
        rm -f \(shellQuote(path)) || exit 1; printf '%s\\n' "$holder"
      fi
      """)
    let raw = try await run(script, through: transport, removing: true)
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
  /// How long a lock lasts unless renewed; `nil` takes the workspace's (`locks: { lease: }`).
  /// The run renews its locks every third of it.
  public var lease: Duration?

  /// By default the workspace's folder and lease, and no waiting: a lock another run holds
  /// fails at once.
  public init(folder: String? = nil, wait: Duration = .zero, lease: Duration? = nil) {
    self.folder = folder
    self.wait = wait
    self.lease = lease
  }
}

/// A lock taken over from a holder that was gone.
package struct Takeover: Hashable, Sendable {
  /// Who held it, as the lock said.
  package var holder: String
  /// How it was known to be gone.
  package var reason: String
}
