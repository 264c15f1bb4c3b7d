import Foundation

/// Event lines on their way to a file. Resource reads come by the thousand and are written
/// together, up to 64 KiB; any other event is written at once, with the reads before it, so a
/// reader of the file sees every change, op and host's end as it happens.
public struct EventLines: Sendable {
  private var pending = Data()

  /// Lines waiting for the next event that is not a read.
  static let limit = 64 << 10

  /// Nothing waiting yet.
  public init() {}

  /// Adds `record`'s line; what to write now, if anything.
  public mutating func add(_ record: RunEventRecord) -> Data? {
    pending.append(record.line)
    if case .resourceRead = record.event, pending.count < Self.limit { return nil }
    defer { pending = Data() }
    return pending
  }

  /// What is still waiting, to write before the file is closed.
  public mutating func rest() -> Data? {
    defer { pending = Data() }
    return pending.isEmpty ? nil : pending
  }
}
