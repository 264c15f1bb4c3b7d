import Foundation
import Synchronization

extension Array where Element: Sendable {
  /// `transform` of consecutive slices of the array, the results in the slices' order: a slice
  /// per core when each would hold at least `minimum` elements, else the whole array as one
  /// slice, on the calling thread.
  public func mapSlicesOnEveryCore<T: Sendable>(
    minimum: Int = 500, _ transform: @Sendable (ArraySlice<Element>) -> T
  ) -> [T] {
    // The processor count is read from the system each time it is asked for: asked only when
    // there is enough for two slices (asking it for each of 10,000 events took 0.15 s).
    guard count >= 2 * minimum else { return [transform(self[...])] }
    let slices = Swift.min(ProcessInfo.processInfo.activeProcessorCount, count / minimum)
    guard slices > 1 else { return [transform(self[...])] }
    let size = (count + slices - 1) / slices
    let results = Mutex([T?](repeating: nil, count: slices))
    DispatchQueue.concurrentPerform(iterations: slices) { slice in
      let result = transform(self[slice * size..<Swift.min(count, (slice + 1) * size)])
      results.withLock { $0[slice] = result }
    }
    // concurrentPerform returns once every slice ran, so each has its result.
    return results.withLock { $0.map { $0! } }
  }
}
