import Foundation
import InfraCore
import Synchronization
import Testing

@testable import InfraEngine

/// A run's events are numbered as they come and delivered in order, in batches, by whichever
/// thread found no one delivering; the others leave theirs and go on.
@Suite struct EventOutboxTests {
  private func event(_ index: Int) -> RunEvent {
    .resourceRead(
      host: "web1", address: Address(prefix: "prod", segments: ["files", "web1", "f\(index)"]),
      exists: true)
  }

  /// Starts `body` on a thread of its own; the semaphore is signalled when it returns.
  private func thread(_ body: @escaping @Sendable () -> Void) -> DispatchSemaphore {
    let done = DispatchSemaphore(value: 0)
    Thread {
      body()
      done.signal()
    }.start()
    return done
  }

  /// While one thread delivers (held here until told to go on), another posts two events and
  /// returns at once; the delivering thread then delivers both, together, before it stops.
  @Test func aThreadThatFindsAnotherDeliveringLeavesItsEventsToIt() {
    let outbox = EventOutbox()
    let batches = Mutex<[[Int]]>([])
    let delivering = DispatchSemaphore(value: 0)
    let goOn = DispatchSemaphore(value: 0)
    let deliver: @Sendable ([EventOutbox.Numbered]) -> Void = { batch in
      batches.withLock { $0.append(batch.map(\.counter)) }
      if batch.first?.counter == 1 {
        delivering.signal()
        goOn.wait()
      }
    }
    let first = thread { outbox.post(contentsOf: [event(1)], waits: false, deliver: deliver) }
    delivering.wait()
    // Returns while the first thread is still held in its delivery: nothing here waits for it.
    outbox.post(contentsOf: [event(2)], waits: false, deliver: deliver)
    outbox.post(contentsOf: [event(3)], waits: false, deliver: deliver)
    #expect(batches.withLock { $0 } == [[1]])
    goOn.signal()
    first.wait()
    #expect(batches.withLock { $0 } == [[1], [2, 3]])
  }

  /// An event that waits returns only once it has been delivered, even when another thread
  /// delivers it; `flush` returns once everything posted before it has been.
  @Test func anEventThatWaitsIsDeliveredWhenItsPostReturns() {
    let outbox = EventOutbox()
    let delivered = Mutex<[Int]>([])
    let delivering = DispatchSemaphore(value: 0)
    let goOn = DispatchSemaphore(value: 0)
    let deliver: @Sendable ([EventOutbox.Numbered]) -> Void = { batch in
      if batch.first?.counter == 1 {
        delivering.signal()
        goOn.wait()
      }
      delivered.withLock { $0 += batch.map(\.counter) }
    }
    let first = thread { outbox.post(contentsOf: [event(1)], waits: false, deliver: deliver) }
    delivering.wait()
    outbox.post(contentsOf: [event(2)], waits: false, deliver: deliver)
    let seenOnReturn = Mutex<[Int]>([])
    let waiting = thread {
      outbox.post(contentsOf: [.hostConnect(host: "web1")], waits: true, deliver: deliver)
      seenOnReturn.withLock { $0 = delivered.withLock { $0 } }
    }
    goOn.signal()
    waiting.wait()
    first.wait()
    #expect(seenOnReturn.withLock { $0 } == [1, 2, 3], "its post returned before it was delivered")
    outbox.flush()
    #expect(delivered.withLock { $0 } == [1, 2, 3])
  }

  /// Eight threads posting 2,000 events each at once: every event is delivered once, in the
  /// order of the numbers they were given, and no batch holds more than the limit plus one
  /// event per thread (a thread waits while the limit is passed).
  @Test func manyThreadsAtOnceLoseNothingAndKeepTheOrder() {
    let outbox = EventOutbox()
    let counters = Mutex<[Int]>([])
    let largest = Mutex(0)
    let deliver: @Sendable ([EventOutbox.Numbered]) -> Void = { batch in
      counters.withLock { $0 += batch.map(\.counter) }
      largest.withLock { $0 = max($0, batch.count) }
    }
    let threads = (0..<8).map { index in
      thread {
        for number in 0..<2000 {
          outbox.post(contentsOf: [event(number)], waits: number % 500 == 0, deliver: deliver)
        }
      }
    }
    for done in threads { done.wait() }
    outbox.flush()
    #expect(counters.withLock { $0 } == Array(1...16000))
    #expect(largest.withLock { $0 } <= EventOutbox.limit + 8)
  }
}
