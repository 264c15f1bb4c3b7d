import Foundation
import InfraCore

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
  /// The holder machine's boot id (Linux), so that a lock from before a restart is known for
  /// dead; absent in locks of older infra and on other systems.
  public var boot: String?
  /// When the holding process started, in clock ticks since boot (Linux): a process that
  /// later got the same pid is not mistaken for the holder.
  public var started: UInt64?

  /// A holder from its parts, e.g. as read back from a lock.
  public init(
    run: String, user: String, machine: String, pid: Int32, since: String, checkout: String,
    boot: String? = nil, started: UInt64? = nil
  ) {
    self.run = run
    self.user = user
    self.machine = machine
    self.pid = pid
    self.since = since
    self.checkout = checkout
    self.boot = boot
    self.started = started
  }

  /// The holder of locks taken by this process for `run`.
  package static func current(run: String, checkout: String) -> LockHolder {
    let user =
      getpwuid(getuid()).flatMap { String(validatingCString: $0.pointee.pw_name) }
      ?? ProcessInfo.processInfo.environment["USER"] ?? String(getuid())
    return LockHolder(
      run: run, user: user, machine: ProcessInfo.processInfo.hostName,
      pid: ProcessInfo.processInfo.processIdentifier,
      since: RunEventRecord.timestamp(Date()), checkout: checkout, boot: Self.bootID,
      started: Self.startTime(of: ProcessInfo.processInfo.processIdentifier))
  }

  /// Why the holder is known to be gone, when it ran on this machine and is: its machine has
  /// restarted since, or its process has ended (the pid is free, or another process has it
  /// now). `nil` when it may still be working, or ran elsewhere, or the lock does not say
  /// enough to know (older infra).
  package var goneFromThisMachine: String? {
    guard machine == ProcessInfo.processInfo.hostName, let boot, let started,
      let currentBoot = Self.bootID
    else { return nil }
    if boot != currentBoot { return "this machine has restarted since it took the lock" }
    guard let now = Self.startTime(of: pid) else { return "its process, pid \(pid), has ended" }
    return now == started ? nil : "its process, pid \(pid), has ended (the pid is another's now)"
  }

  /// This machine's boot id, from Linux's `/proc`.
  static var bootID: String? {
    (try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8))?
      .trimmingCharacters(in: .whitespacesAndNewlines)
  }

  /// When process `pid` started, in clock ticks since boot: field 22 of `/proc/PID/stat`
  /// (counted after the parenthesised command name, which may hold spaces).
  static func startTime(of pid: Int32) -> UInt64? {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
      let close = stat.lastIndex(of: ")")
    else { return nil }
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    // Fields after the name start at 3 (state), so the start time, 22, is the 20th.
    return fields.count > 19 ? UInt64(fields[19]) : nil
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
