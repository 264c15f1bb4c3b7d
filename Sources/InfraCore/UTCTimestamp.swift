import Foundation
import Synchronization

/// Times as events, locks and saved plans write them: RFC 3339 in UTC with milliseconds.
public enum UTCTimestamp {
  /// `2026-11-21T19:45:12.345Z`: the date's whole milliseconds, rounded down.
  /// Computed from the date's count of milliseconds (days to a civil date after Howard
  /// Hinnant's `civil_from_days`): a run writes one per event.
  public static func milliseconds(_ date: Date) -> String {
    let total = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
    // Events come by the thousand within a millisecond: the last one made is made again.
    if let same = last.withLock({ $0.count == total ? $0.text : nil }) { return same }
    let (days, inDay) = floorDivision(total, 86_400_000)
    let (year, month, day) = civil(days: days)
    var text = ""
    text.reserveCapacity(24)
    for (separator, value, width) in [
      ("", year, 4), ("-", month, 2), ("-", day, 2), ("T", inDay / 3_600_000, 2),
      (":", inDay / 60_000 % 60, 2), (":", inDay / 1000 % 60, 2), (".", inDay % 1000, 3),
    ] {
      let digits = String(value)
      text += separator + String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
    text += "Z"
    last.withLock { $0 = (total, text) }
    return text
  }

  private static let last = Mutex<(count: Int64, text: String)>((.min, ""))

  private static func floorDivision(_ value: Int64, _ divisor: Int64) -> (Int64, Int64) {
    let remainder = value % divisor
    return remainder < 0
      ? (value / divisor - 1, remainder + divisor) : (value / divisor, remainder)
  }

  /// The proleptic Gregorian year, month and day `days` after 1970-01-01.
  private static func civil(days: Int64) -> (Int64, Int64, Int64) {
    let shifted = days + 719_468
    let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
    let dayOfEra = shifted - era * 146_097
    let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
    let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
    let monthIndex = (5 * dayOfYear + 2) / 153
    let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
    let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
    return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
  }
}
