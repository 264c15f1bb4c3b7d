/// Runs `work` for every element with at most `limit` running at once, returning results in
/// the elements' order.
func forEachConcurrently<Element: Sendable, Result: Sendable>(
  _ elements: [Element], limit: Int, _ work: @escaping @Sendable (Element) async -> Result
) async -> [Result] {
  await withTaskGroup(of: (Int, Result).self) { group in
    var results: [(Int, Result)] = []
    var next = 0
    func startNext() {
      guard next < elements.count else { return }
      let index = next
      let element = elements[index]
      group.addTask { (index, await work(element)) }
      next += 1
    }
    for _ in 0..<max(1, limit) { startNext() }
    while let result = await group.next() {
      results.append(result)
      startNext()
    }
    return results.sorted { $0.0 < $1.0 }.map(\.1)
  }
}
