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
    add(CollectionOfOne(record))
  }

  /// Adds the lines of `records`, which came together; what to write now, if anything.
  public mutating func add(_ records: some Collection<RunEventRecord>) -> Data? {
    var onlyReads = true
    for record in records {
      pending.append(record.line)
      if case .resourceRead = record.event {} else { onlyReads = false }
    }
    if onlyReads, pending.count < Self.limit { return nil }
    defer { pending = Data() }
    return pending
  }

  /// What is still waiting, to write before the file is closed.
  public mutating func rest() -> Data? {
    defer { pending = Data() }
    return pending.isEmpty ? nil : pending
  }
}
