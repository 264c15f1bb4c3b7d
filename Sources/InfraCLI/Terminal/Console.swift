import Foundation
import Synchronization

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Text styles for terminal output; plain text when colour is off.
public enum Style: String, Sendable {
  case bold = "1"
  case dim = "2"
  case red = "31"
  case green = "32"
  case yellow = "33"
  case cyan = "36"
}

/// Applies styles, or not: renderers take one so tests can render without escape codes.
public struct Styler: Sendable {
  public var enabled: Bool

  public init(enabled: Bool) {
    self.enabled = enabled
  }

  public static let plain = Styler(enabled: false)

  public func callAsFunction(_ text: String, _ styles: Style...) -> String {
    guard enabled, !styles.isEmpty, !text.isEmpty else { return text }
    let codes = styles.map(\.rawValue).joined(separator: ";")
    return "\u{1B}[\(codes)m\(text)\u{1B}[0m"
  }
}

/// Where the command line writes: standard output for results, standard error for diagnostics
/// and progress. Safe to call from many tasks at once.
public final class Console: Sendable {
  private let lock = Mutex(())
  public let styler: Styler
  public let errorStyler: Styler
  /// Whether standard input is a terminal a person can answer prompts on.
  public let isInteractive: Bool

  public init(color: Bool?) {
    let environment = ProcessInfo.processInfo.environment
    let allowed = environment["NO_COLOR"] == nil && environment["TERM"] != "dumb"
    styler = Styler(enabled: color ?? (allowed && isatty(STDOUT_FILENO) == 1))
    errorStyler = Styler(enabled: color ?? (allowed && isatty(STDERR_FILENO) == 1))
    isInteractive = isatty(STDIN_FILENO) == 1
  }

  public func out(_ text: String) {
    write(text, to: FileHandle.standardOutput)
  }

  public func error(_ text: String) {
    write(text, to: FileHandle.standardError)
  }

  private func write(_ text: String, to handle: FileHandle) {
    guard !text.isEmpty else { return }
    lock.withLock { _ in handle.write(Data(text.utf8)) }
  }

  /// Asks a question on the terminal and returns the answer line, or `nil` at end of input.
  public func ask(_ question: String) -> String? {
    out(question)
    return readLine(strippingNewline: true)
  }
}
