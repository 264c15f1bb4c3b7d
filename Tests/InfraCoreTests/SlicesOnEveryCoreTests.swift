import InfraCore
import Testing

/// Work split over the cores comes back whole and in order; a small array is one slice.
@Suite struct SlicesOnEveryCoreTests {
  @Test func slicesComeBackInOrderAndWhole() {
    let numbers = Array(0..<5001)
    let slices = numbers.mapSlicesOnEveryCore { Array($0) }
    #expect(slices.flatMap { $0 } == numbers)
    #expect(slices.allSatisfy { $0.count >= 500 })
    #expect([1, 2, 3].mapSlicesOnEveryCore { Array($0) } == [[1, 2, 3]])
    #expect(
      Array(0..<999).mapSlicesOnEveryCore { $0.count } == [999], "fewer than two slices' worth")
  }
}
