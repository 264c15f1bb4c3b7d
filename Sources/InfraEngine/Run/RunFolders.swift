import Foundation
import InfraCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The folders of runs, `.infra/runs/<run-id>/`, and how a run's folder shows that its run is
/// still going: its `.running` file is locked (`flock`) by the run's process for as long as the
/// run goes. The kernel lets go of the lock however the process ends, a SIGKILL included, so a
/// folder whose lock is free belongs to a run that ended; if its status still says it is
/// going, the run was killed.
///
/// A folder appears whole: it is made under a hidden name, its lock taken, then renamed into
/// place, so no other run ever sees a run's folder without its lock.
enum RunFolders {
  /// What the status of a run found killed says.
  static let killedStatus = "killed"

  /// Makes `<root>/<id>` with its lock held; returns the folder and the descriptor that holds
  /// the lock (closing it lets go).
  static func create(_ id: String, in root: URL) throws -> (folder: URL, lock: Int32) {
    let folder = root.appending(path: id)
    let making = root.appending(path: ".\(id).new")
    try PrivateFiles.makeFolder(root)
    try PrivateFiles.makeFolder(making)
    // The lock file is locked before it has the name other runs look for.
    let unnamed = making.appending(path: ".running.new")
    let lock = open(unnamed.path, O_RDWR | O_CREAT | O_CLOEXEC, PrivateFiles.fileMode)
    guard lock >= 0 else { throw failure(making, "cannot create its lock file") }
    guard flock(lock, LOCK_EX) == 0,
      rename(unnamed.path, making.appending(path: ".running").path) == 0,
      rename(making.path, folder.path) == 0
    else {
      let reason = String(cString: strerror(errno))  // before the clean-up sets errno again
      close(lock)
      try? FileManager.default.removeItem(at: making)
      throw failure(folder, reason)
    }
    return (folder, lock)
  }

  /// Whether the run of `folder` is still going: its lock is held. A folder without a lock
  /// file (made by an older infra) counts as ended.
  static func isGoing(_ folder: URL) -> Bool {
    let descriptor = open(folder.appending(path: ".running").path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { return false }
    defer { close(descriptor) }
    guard flock(descriptor, LOCK_SH | LOCK_NB) == 0 else { return errno == EWOULDBLOCK }
    flock(descriptor, LOCK_UN)
    return false
  }

  /// Keeps the newest `keep` runs besides `current` and the runs still going, removes the rest,
  /// and marks `killed` each kept run whose status says it is going although its lock is free.
  /// Returns the ids of the runs it marked. Safe while other runs start and sweep at the same
  /// time: a run's folder is never removed while the run goes.
  static func sweep(_ root: URL, keep: Int, current: String) -> [String] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
    // A folder being made whose maker died before it was renamed into place.
    for name in names where name.hasPrefix(".") && name.hasSuffix(".new") {
      let making = root.appending(path: name)
      if FileManager.default.fileExists(atPath: making.appending(path: ".running").path),
        !isGoing(making)
      {
        try? FileManager.default.removeItem(at: making)
      }
    }
    // Run ids start with their UTC start time, so name order is age order: newest first.
    let others = names.filter { !$0.hasPrefix(".") && $0 != current }.sorted(by: >)
    var killed: [String] = []
    for (index, name) in others.enumerated() {
      let folder = root.appending(path: name)
      if isGoing(folder) { continue }
      if index >= keep - 1 {
        try? FileManager.default.removeItem(at: folder)
      } else if markKilled(folder) {
        killed.append(name)
      }
    }
    return killed
  }

  /// Writes `killed` as the status of an ended run whose status says it is going.
  private static func markKilled(_ folder: URL) -> Bool {
    let status = folder.appending(path: "status")
    guard let text = try? String(contentsOf: status, encoding: .utf8) else { return false }
    let current = text.trimmingCharacters(in: .whitespacesAndNewlines)
    guard current == RunStatus.starting.rawValue || current == RunStatus.running.rawValue else {
      return false
    }
    return (try? PrivateFiles.replace(status, with: Data((killedStatus + "\n").utf8))) != nil
  }

  private static func failure(_ url: URL, _ reason: String) -> CocoaError {
    CocoaError(
      .fileWriteUnknown,
      userInfo: [NSFilePathErrorKey: url.path, NSLocalizedDescriptionKey: reason])
  }
}
