import Foundation
import InfraCore
import InfraTransport
import Synchronization

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A run's folder, `.infra/runs/<run-id>/`, as ansible-runner keeps artifacts:
///
/// - `command`: the command line that started the run
/// - `status`: the current status (`starting`, `running`, then the final one); `killed` when a
///   later run found that its process ended without recording its end
/// - `.running`: locked (`flock`) by the run's process while the run goes, and let go of by the
///   kernel however the process ends
/// - `events.jsonl`: every event, one JSON object per line, written as it happens
/// - `plan.json`: the plan, in the `infra plan --json` format
/// - `facts/<host>.json`: each host's facts, as gathered in the run (ansible-runner's fact cache)
/// - `stdout`: what the person saw, without colour codes (written by the command line)
/// - `rc`: the exit code, once the run has ended
///
/// Written to survive a crash: lines are appended with one `write` each, and `status`, `rc` and
/// `plan.json` are replaced by renaming a complete temporary file over them.
public final class RunArtifacts: Sendable {
  /// Where runs are kept, and how many.
  public struct Settings: Sendable {
    /// The folder holding one folder per run, normally `.infra/runs`.
    public var root: URL
    /// The newest runs to keep; older ones are removed when a run starts, unless they are
    /// still going.
    public var keep: Int
    /// The command line to record.
    public var command: [String]

    /// Settings to keep runs in `root`; a `keep` below 1 keeps 1.
    public init(root: URL, keep: Int, command: [String]) {
      self.root = root
      self.keep = keep
      self.command = command
    }
  }

  /// The run's own folder, `<root>/<run-id>`.
  public let folder: URL
  /// The earlier runs found killed when this one was made: their status said they were going,
  /// but their process had ended. Each is marked `killed` in its folder.
  package let foundKilled: [String]
  private let events: Mutex<(handle: FileHandle?, lines: EventLines)>
  private let output: Mutex<FileHandle?>
  /// The descriptor holding the folder's `.running` lock, until the run ends.
  private let lock: Mutex<Int32>

  /// Creates the run's folder, locked, and its `command` file; then removes the runs beyond
  /// `keep` that have ended, and marks those killed.
  package init(id: String, settings: Settings) throws {
    let (folder, lock) = try RunFolders.create(id, in: settings.root)
    self.folder = folder
    self.lock = Mutex(lock)
    events = Mutex((try Self.appendHandle(folder.appending(path: "events.jsonl")), EventLines()))
    output = Mutex(try Self.appendHandle(folder.appending(path: "stdout")))
    try Self.replace(
      folder.appending(path: "command"),
      with: Data(
        SecretMask.shared.masked(settings.command.map(shellQuote).joined(separator: " ") + "\n")
          .utf8))
    foundKilled = RunFolders.sweep(settings.root, keep: max(1, settings.keep), current: id)
  }

  deinit {
    events.withLock { events in
      if let rest = events.lines.rest() { try? events.handle?.write(contentsOf: rest) }
      try? events.handle?.close()
    }
    output.withLock { try? $0?.close() }
    endLock()
  }

  /// Appends the lines of `records`, which came together, with one write.
  func append(_ records: [RunEventRecord]) {
    events.withLock { events in
      if let lines = events.lines.add(records) { try? events.handle?.write(contentsOf: lines) }
    }
    for record in records {
      guard case .hostFacts(let host, let facts) = record.event else { continue }
      let folder = folder.appending(path: Self.factsFolder)
      try? PrivateFiles.makeFolder(folder)
      try? Self.replace(
        folder.appending(path: host + ".json"),
        with: Data(SecretMask.shared.masked(facts.json.serialized + "\n").utf8))
    }
  }

  /// Where a run's folder keeps its hosts' facts.
  static let factsFolder = "facts"

  /// The facts a run kept in its artifacts `folder`, by host name: what a later program reads
  /// of a run it did not watch.
  public static func facts(in folder: URL) -> [String: HostFacts] {
    let factsFolder = folder.appending(path: Self.factsFolder)
    let names = (try? FileManager.default.contentsOfDirectory(atPath: factsFolder.path)) ?? []
    var facts: [String: HostFacts] = [:]
    for name in names where name.hasSuffix(".json") {
      guard let data = try? Data(contentsOf: factsFolder.appending(path: name)),
        let json = try? JSONDecoder().decode(JSONValue.self, from: data)
      else { continue }
      facts[String(name.dropLast(5))] = HostFacts(json: json)
    }
    return facts
  }

  /// Appends what the person saw, with terminal escape codes removed.
  public func appendOutput(_ text: String) {
    let plain = Data(SecretMask.shared.masked(removingEscapeCodes(text)).utf8)
    output.withLock { handle in try? handle?.write(contentsOf: plain) }
  }

  /// Records `status`; a final one lets go of the folder's lock: the run has ended.
  package func write(status: RunStatus) {
    try? Self.replace(folder.appending(path: "status"), with: Data((status.rawValue + "\n").utf8))
    if status.isFinal { endLock() }
  }

  private func endLock() {
    lock.withLock { descriptor in
      guard descriptor >= 0 else { return }
      // Unlocked before it is closed: a child being started at this instant holds a copy of
      // the descriptor until it runs its program, and the lock would last as long.
      flock(descriptor, LOCK_UN)
      close(descriptor)
      descriptor = -1
    }
  }

  func write(rc: Int32) {
    try? Self.replace(folder.appending(path: "rc"), with: Data("\(rc)\n".utf8))
  }

  func write(plan: Plan) {
    try? Self.replace(folder.appending(path: "plan.json")) { handle in
      var buffer = ""
      PlanDocument(plan).write { piece in
        buffer += piece
        if buffer.utf8.count >= 1 << 16 {
          try? handle.write(contentsOf: Data(SecretMask.shared.masked(buffer).utf8))
          buffer = ""
        }
      }
      try? handle.write(contentsOf: Data(SecretMask.shared.masked(buffer).utf8))
    }
  }

  // MARK: files

  private static func appendHandle(_ url: URL) throws -> FileHandle {
    try PrivateFiles.appending(url)
  }

  /// Writes a complete private temporary file, then renames it over `url`.
  private static func replace(_ url: URL, with data: Data) throws {
    try PrivateFiles.replace(url, with: data)
  }

  /// Writes a private temporary file through `write`, then renames it over `url`.
  private static func replace(_ url: URL, write: (FileHandle) throws -> Void) throws {
    try PrivateFiles.replace(url, write: write)
  }
}

/// A new run id: its UTC start time to the millisecond, then random hex, e.g.
/// `20261121T194512.345Z-3fa9c2`; ids sort by age. The time is `UTCTimestamp`'s without its
/// separators (no calendar: that would load ICU's time zones for one string).
func makeRunID(_ date: Date = Date()) -> String {
  let stamp = UTCTimestamp.milliseconds(date).filter { $0 != "-" && $0 != ":" }
  let random = String(UInt32.random(in: 0...0xFF_FFFF), radix: 16)
  return stamp + "-" + String(repeating: "0", count: 6 - random.count) + random
}

/// Text without ANSI escape sequences (colours, cursor movement): ESC `[`, then digits, `;`
/// or `?`, then a letter. Every line an apply shows passes through here on its way to the
/// run's `stdout`, so the bytes are scanned once, and text without ESC is returned as it is.
public func removingEscapeCodes(_ text: String) -> String {
  let bytes = text.utf8
  // memchr: a plan of 10,000 new files is 14 MB of text, looked through byte by byte before.
  let escaped =
    bytes.withContiguousStorageIfAvailable { buffer in
      buffer.baseAddress.map { memchr($0, 0x1B, buffer.count) != nil } ?? false
    } ?? bytes.contains(0x1B)
  guard escaped else { return text }
  var kept: [UInt8] = []
  kept.reserveCapacity(bytes.count)
  var index = bytes.startIndex
  while index != bytes.endIndex {
    if let end = escapeCodeEnd(in: bytes, at: index) {
      index = end
      continue
    }
    kept.append(bytes[index])
    bytes.formIndex(after: &index)
  }
  // Only ASCII bytes were left out of valid UTF-8: what is kept is valid UTF-8.
  return String(decoding: kept, as: UTF8.self)
}

/// Where the escape code starting at `start` ends, if one starts there.
private func escapeCodeEnd(in bytes: String.UTF8View, at start: String.Index) -> String.Index? {
  guard bytes[start] == 0x1B else { return nil }
  var index = bytes.index(after: start)
  guard index != bytes.endIndex, bytes[index] == UInt8(ascii: "[") else { return nil }
  bytes.formIndex(after: &index)
  while index != bytes.endIndex,
    (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) || bytes[index] == 0x3B
      || bytes[index] == 0x3F
  {
    bytes.formIndex(after: &index)
  }
  guard index != bytes.endIndex else { return nil }
  let letter = bytes[index] | 0x20
  guard (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(letter) else { return nil }
  return bytes.index(after: index)
}
