import Foundation
import InfraEngine
import InfraTransport
import Synchronization

/// The live progress line of a plan or apply on a terminal: hosts done, resources read, ops
/// applied, elapsed time. Fed by the run's events; draws nothing when output is not a terminal.
final class ProgressReporter: Sendable {
  private struct Counts {
    var hosts = 0
    var hostsDone = 0
    var resources = 0
    var read = 0
    var changes = 0
    var applied = 0
    var failed = 0
    var applying = false
  }

  private let console: Console
  private let counts = Mutex(Counts())
  private let started = ContinuousClock.now
  private let ticker = Mutex<Task<Void, Never>?>(nil)

  init(console: Console) {
    self.console = console
  }

  /// Starts redrawing the line a few times a second, for the elapsed time.
  func start() {
    guard console.showsProgress else { return }
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
    counts.withLock { counts in
      switch event {
      case .runStart(_, let hosts, let resources):
        counts.hosts = hosts.count
        counts.resources = resources
      case .resourceRead: counts.read += 1
      case .changePlanned: counts.changes += 1
      case .opStart: counts.applying = true
      case .opOK: counts.applied += 1
      case .opFailed:
        counts.applied += 1
        counts.failed += 1
      case .hostDone: counts.hostsDone += 1
      default: break
      }
    }
  }

  private func draw() {
    let counts = counts.withLock { $0 }
    let elapsed = (ContinuousClock.now - started).shortDescription
    var parts: [String]
    if counts.applying {
      parts = ["applying", "\(counts.applied)/\(counts.changes) changes"]
      if counts.failed > 0 { parts.append("\(counts.failed) failed") }
    } else {
      parts = ["planning", "\(counts.read)/\(counts.resources) resources read"]
    }
    parts.append("\(counts.hostsDone)/\(counts.hosts) hosts done")
    parts.append(elapsed)
    console.progress(parts.joined(separator: " · "))
  }
}

/// `--events FILE` (or `-` for standard output): every event as one JSON line, as it happens.
final class EventStream: Sendable {
  private let handle: Mutex<FileHandle>

  init(path: String) throws {
    if path == "-" {
      handle = Mutex(FileHandle.standardOutput)
    } else {
      guard FileManager.default.createFile(atPath: path, contents: nil),
        let file = FileHandle(forWritingAtPath: path)
      else {
        throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
      }
      handle = Mutex(file)
    }
  }

  func write(_ record: RunEventRecord) {
    let line = record.jsonLine()
    handle.withLock { try? $0.write(contentsOf: line) }
  }
}
