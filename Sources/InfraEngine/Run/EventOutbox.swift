import Foundation

/// Numbers a run's events in the order they happen and hands them to the run's handlers in
/// that order, in batches, without making the threads that report them wait for each other.
///
/// A thread that posts an event while no one delivers delivers it itself, at once, as a run
/// always did. A thread that posts one while another delivers leaves it to that one, which
/// delivers everything posted before it stops: the hosts' threads (one sending files, one
/// reading what the host confirms, on each of many hosts) no longer queue up behind each
/// other's writes, and what piles up meanwhile is written together. An event that must be seen
/// before the run goes on (`waits`: the run's and hosts' own) returns only once it has been
/// delivered; so does any post while too many wait, which bounds the memory they hold.
final class EventOutbox: @unchecked Sendable {
  /// An event with its place in the run and its time.
  struct Numbered: Sendable {
    var counter: Int
    var time: Date
    var event: RunEvent
  }

  /// The most events left waiting for a delivering thread before the one posting waits too.
  static let limit = 4096

  private let condition = NSCondition()
  // Guarded by `condition`.
  private var waiting: [Numbered] = []
  private var numbered = 0
  private var delivered = 0
  private var delivering = false

  /// Numbers `events`, which happened together, one after the other, and delivers them in one
  /// batch (with any waiting before them), or leaves them to the thread delivering now; with
  /// `waits`, returns once they were delivered. `deliver` is called with each batch, in order,
  /// by one thread at a time; every caller passes the same.
  func post(
    contentsOf events: some Collection<RunEvent>, waits: Bool, deliver: ([Numbered]) -> Void
  ) {
    guard !events.isEmpty else { return }
    let time = Date()
    condition.lock()
    for event in events {
      numbered += 1
      waiting.append(Numbered(counter: numbered, time: time, event: event))
    }
    let counter = numbered
    if delivering {
      // The delivering thread takes every event posted before it stops, this one included.
      if waits {
        while delivered < counter { condition.wait() }
      } else {
        while waiting.count > Self.limit && delivering { condition.wait() }
      }
      condition.unlock()
      return
    }
    drain(deliver)
  }

  /// Returns once every event posted so far has been delivered.
  func flush() {
    condition.lock()
    let last = numbered
    while delivering && delivered < last { condition.wait() }
    condition.unlock()
  }

  /// Delivers until nothing waits. Called with `condition` locked; unlocks it.
  private func drain(_ deliver: ([Numbered]) -> Void) {
    delivering = true
    while !waiting.isEmpty {
      let batch = waiting
      waiting = []
      condition.broadcast()
      condition.unlock()
      deliver(batch)
      condition.lock()
      delivered = batch[batch.count - 1].counter
      condition.broadcast()
    }
    delivering = false
    condition.unlock()
  }
}
