import Foundation
import InfraCore
import Synchronization

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Text styles for terminal output; plain text when colour is off.
package enum Style: String, Sendable {
  case bold = "1"
  case dim = "2"
  case red = "31"
  case green = "32"
  case yellow = "33"
  case cyan = "36"
}

/// Applies styles, or not: renderers take one so tests can render without escape codes.
package struct Styler: Sendable {
  package var enabled: Bool

  package init(enabled: Bool) {
    self.enabled = enabled
  }

  package static let plain = Styler(enabled: false)

  package func callAsFunction(_ text: String, _ styles: Style...) -> String {
    guard enabled, !styles.isEmpty, !text.isEmpty else { return text }
    return Self.start(styles.map(\.rawValue).joined(separator: ";")) + text + Self.end
  }

  /// The escape codes that start and end `style`, for text written piece by piece; `nil` when
  /// styles are off.
  package func escapes(_ style: Style) -> (start: String, end: String)? {
    enabled ? (Self.start(style.rawValue), Self.end) : nil
  }

  private static func start(_ codes: String) -> String { "\u{1B}[\(codes)m" }
  private static let end = "\u{1B}[0m"
}

/// Where the command line writes: results for people on standard output (or standard error,
/// when standard output carries JSON events), diagnostics on standard error, and, on a
/// terminal, a live progress line at the bottom. Safe to call from many tasks at once.
package final class Console: Sendable {
  private struct State {
    /// The progress line being shown, if any.
    var progress: String?
    /// Also receives everything written for people (a run's `stdout` artifact).
    var transcript: (@Sendable (String) -> Void)?
  }

  private let state = Mutex(State())
  /// Taken by each write for its length, and by a stream written aside (`streamAside`) for
  /// all of its: what is written meanwhile waits and comes after it.
  private let turn = DispatchSemaphore(value: 1)
  /// Hides registered secrets in everything written.
  private let mask: SecretMask
  /// Where results for people go.
  private let results: FileHandle
  package let styler: Styler
  package let errorStyler: Styler
  /// Whether standard input is a terminal a person can answer prompts on.
  package let isInteractive: Bool
  /// Whether a progress line can be drawn (standard error is a terminal).
  package let showsProgress: Bool

  /// - Parameter resultsOnStandardError: send results for people to standard error, keeping
  ///   standard output for machine-readable output.
  package init(color: Bool?, resultsOnStandardError: Bool = false, mask: SecretMask = .shared) {
    self.mask = mask
    let environment = ProcessInfo.processInfo.environment
    let allowed = environment["NO_COLOR"] == nil && environment["TERM"] != "dumb"
    let resultsDescriptor = resultsOnStandardError ? STDERR_FILENO : STDOUT_FILENO
    results = resultsOnStandardError ? FileHandle.standardError : FileHandle.standardOutput
    styler = Styler(enabled: color ?? (allowed && isatty(resultsDescriptor) == 1))
    errorStyler = Styler(enabled: color ?? (allowed && isatty(STDERR_FILENO) == 1))
    isInteractive = isatty(STDIN_FILENO) == 1
    showsProgress = isatty(STDERR_FILENO) == 1 && environment["TERM"] != "dumb"
  }

  /// Writes results for people (and to the transcript).
  package func out(_ text: String) {
    guard !text.isEmpty else { return }
    taking { put(text) }
  }

  /// Writes what `produce` hands its sink as results for people, in chunks of about 64 KiB:
  /// large outputs are never built as one string.
  package func stream(_ produce: (_ sink: (String) -> Void) -> Void) {
    taking { chunks(produce) }
  }

  /// Writes what `produce` hands its sink, as `stream` does, on a thread of its own, and
  /// returns at once: everything written to the console meanwhile, from any thread, comes
  /// after it. `waitForOutput()` returns once it is written.
  package func streamAside(_ produce: @escaping @Sendable (_ sink: (String) -> Void) -> Void) {
    turn.wait()
    Thread {
      self.chunks(produce)
      self.turn.signal()
    }.start()
  }

  /// Returns once what `streamAside` was given has been written.
  package func waitForOutput() {
    taking {}
  }

  /// Writes diagnostics and messages to standard error.
  package func error(_ text: String) {
    guard !text.isEmpty else { return }
    let text = mask.masked(text)
    taking {
      state.withLock { state in
        withProgressCleared(state) { write(text, to: .standardError) }
      }
    }
  }

  private func taking(_ body: () -> Void) {
    turn.wait()
    defer { turn.signal() }
    body()
  }

  private func put(_ text: String) {
    guard !text.isEmpty else { return }
    let text = mask.masked(text)
    state.withLock { state in
      withProgressCleared(state) { write(text, to: results) }
      state.transcript?(text)
    }
  }

  private func chunks(_ produce: (_ sink: (String) -> Void) -> Void) {
    var buffer = ""
    produce { piece in
      buffer += piece
      if buffer.utf8.count >= 1 << 16 {
        put(buffer)
        buffer = ""
      }
    }
    put(buffer)
  }

  /// Everything written with `out` from now on is also handed to `transcript`.
  package func record(to transcript: @escaping @Sendable (String) -> Void) {
    state.withLock { $0.transcript = transcript }
  }

  /// Shows `line` as the progress line (on a terminal), or removes it when `nil`.
  package func progress(_ line: String?) {
    guard showsProgress else { return }
    // One row only, however narrow the terminal: a line that wraps leaves its first rows
    // behind when it is redrawn.
    let width = Self.terminalWidth() ?? 80
    let line = line.map(mask.masked).map {
      $0.count < width ? $0 : String($0.prefix(max(1, width - 2))) + "…"
    }
    taking {
      state.withLock { state in
        state.progress = line
        let shown = line.map { "\r\u{1B}[2K" + $0 } ?? "\r\u{1B}[2K"
        write(shown, to: .standardError)
      }
    }
  }

  /// Asks a question on the terminal and returns the answer line, or `nil` at end of input.
  package func ask(_ question: String) -> String? {
    out(question)
    return readLine(strippingNewline: true)
  }

  /// The columns of the terminal on standard error, as it is now (it may have been resized).
  static func terminalWidth() -> Int? {
    var size = winsize()
    guard ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return nil }
    return Int(size.ws_col)
  }

  private func withProgressCleared(_ state: State, _ write: () -> Void) {
    if state.progress != nil { self.write("\r\u{1B}[2K", to: .standardError) }
    write()
    if let line = state.progress { self.write("\r" + line, to: .standardError) }
  }

  /// Writes `text`, or nothing once the reader has gone (a closed pipe, a terminal hung up):
  /// what infra prints is lost then, but the run goes on and records everything.
  private func write(_ text: String, to handle: FileHandle) {
    try? handle.write(contentsOf: Data(text.utf8))
  }
}
