import Foundation
import InfraCore
import InfraEngine
import InfraTransport
import Synchronization

/// What the progress line counts, from a run's events.
struct ProgressCounts: Sendable, Hashable {
  var kind = RunKind.plan
  var hosts = 0
  var hostsDone = 0
  var resources = 0
  var read = 0
  var changes = 0
  var applied = 0
  var failed = 0
  var applying = false

  mutating func count(_ event: RunEvent) {
    switch event {
    case .runStart(let kind, let hosts, let resources):
      self.kind = kind
      self.hosts = hosts.count
      self.resources = resources
    case .resourceRead: read += 1
    case .changePlanned: changes += 1
    case .opStart: applying = true
    case .opOK: applied += 1
    case .opFailed:
      applied += 1
      failed += 1
    case .hostDone: hostsDone += 1
    default: break
    }
  }

  /// `planning · 3/10 resources read · 1/2 hosts done · 1.5s`
  func line(elapsed: Duration) -> String {
    var parts: [String]
    if applying {
      parts = ["applying", "\(applied)/\(changes) changes"]
      if failed > 0 { parts.append("\(failed) failed") }
    } else if kind == .plan || kind == .apply || kind == .pull {
      parts = [kind == .pull ? "pulling" : "planning", "\(read)/\(resources) resources read"]
    } else {
      parts = [kind == .import ? "importing" : kind == .command ? "running" : "unlocking"]
    }
    parts.append("\(hostsDone)/\(hosts) hosts done")
    parts.append(elapsed.shortDescription)
    return parts.joined(separator: " · ")
  }
}

/// The live progress line of a run on a terminal: hosts done, resources read, ops applied,
/// elapsed time. Fed by the run's events; draws nothing when output is not a terminal.
final class ProgressReporter: Sendable {
  private let console: Console
  private let counts = Mutex(ProgressCounts())
  private let started = ContinuousClock.now
  private let ticker = Mutex<Task<Void, Never>?>(nil)

  init(console: Console) {
    self.console = console
  }

  /// Starts redrawing the line a few times a second, for the elapsed time.
  func start() {
    guard console.showsProgress else { return }
    // Drawn at once, however soon the run ends, then redrawn from a task.
    draw()
    let task = Task { [weak self] in
      while !Task.isCancelled {
        self?.draw()
        try? await Task.sleep(for: .milliseconds(250))
      }
    }
    ticker.withLock { $0 = task }
  }

  /// Stops and removes the line.
  func stop() {
    ticker.withLock { task in
      task?.cancel()
      task = nil
    }
    console.progress(nil)
  }

  func handle(_ event: RunEvent) {
    counts.withLock { $0.count(event) }
  }

  private func draw() {
    let counts = counts.withLock { $0 }
    console.progress(counts.line(elapsed: ContinuousClock.now - started))
  }
}

/// `--events FILE` (or `-` for standard output): every event as one JSON line, as it happens.
final class EventStream: Sendable {
  private let stream: Mutex<(handle: FileHandle, lines: EventLines)>

  init(path: String) throws {
    let handle =
      path == "-"
      ? FileHandle.standardOutput : try PrivateFiles.truncating(URL(fileURLWithPath: path))
    stream = Mutex((handle, EventLines()))
  }

  /// Writes the lines of `records`, which came together, with one write.
  func write(_ records: [RunEventRecord]) {
    stream.withLock { stream in
      if let lines = stream.lines.add(records) { try? stream.handle.write(contentsOf: lines) }
    }
  }

  deinit {
    stream.withLock { stream in
      if let rest = stream.lines.rest() { try? stream.handle.write(contentsOf: rest) }
    }
  }
}
