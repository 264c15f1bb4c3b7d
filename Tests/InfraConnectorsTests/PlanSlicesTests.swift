import Foundation
import InfraCore
import InfraEngine
import InfraTestSupport
import Testing

@testable import InfraConnectors

/// A host of many files is planned in slices on every core: the plan is the one a single pass
/// makes, in address order, with the files whose diff needs their live content among the rest.
@Suite struct PlanSlicesTests {
  @Test func manyFilesPlanAsInOnePass() async throws {
    let repo = try TestRepository("slices")
    try repo.writeConfig()
    // 1,500 files: a third in place, a third changed (their diff waits for the live content),
    // a third missing, interleaved so that every slice has some of each.
    for index in 0..<1500 {
      let name = String(format: "d%02d/f%04d", index % 7, index)
      try repo.resource("local/\(name)", "line \(index)\n")
      switch index % 3 {
      case 0: try repo.target.write(name, "line \(index)\n")
      case 1: try repo.target.write(name, "old \(index)\n")
      default: break
      }
    }
    let plan = try await Harness(repo: repo).plan()
    #expect(plan.failures.isEmpty, "\(plan.failures)")
    let changes = plan.changes
    #expect(changes.count == 1000)
    #expect(changes.map(\.address) == changes.map(\.address).sorted(), "in address order")
    for change in changes {
      let index = try #require(Int(change.address.description.suffix(4)))
      #expect(index % 3 != 0, "\(change.address) is in place")
      let diff = try #require(change.op.diff, "\(change.address)")
      #expect(diff.contains("+line \(index)\n"), "\(diff)")
      if index % 3 == 1 {
        #expect(change.op.action == .update)
        #expect(diff.contains("-old \(index)\n"), "\(diff)")
      } else {
        #expect(change.op.action == .create)
      }
    }
  }
}
