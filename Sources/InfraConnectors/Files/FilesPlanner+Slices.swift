import Foundation
import InfraCore
import InfraEngine

extension FilesPlanner {
  /// A file whose diff needs its live content, set aside until that is fetched.
  typealias Waiting = (index: Int, address: Address, desired: DesiredFile, live: LiveFile?)

  /// The items decoded and planned, but for those that wait for live content; in slices on
  /// every core when there are many (a first apply of 10,000 files read and diffed each on one
  /// core while the other was idle). The first error, in item order, is thrown.
  func planSlices(_ items: [PlanItem], _ found: HostFindings.Findings) throws
    -> ([Outcome], [Waiting])
  {
    let slices = items.mapSlicesOnEveryCore { slice in Result { try planSlice(slice, found) } }
    var outcomes: [Outcome] = []
    var waiting: [Waiting] = []
    for result in slices {
      let (sliceOutcomes, sliceWaiting) = try result.get()
      outcomes += sliceOutcomes
      waiting += sliceWaiting
    }
    return (outcomes, waiting)
  }

  private func planSlice(_ items: ArraySlice<PlanItem>, _ found: HostFindings.Findings) throws
    -> ([Outcome], [Waiting])
  {
    var outcomes: [Outcome] = []
    var waiting: [Waiting] = []
    for (index, item) in zip(items.indices, items) {
      let desired = rendered(try DesiredFile(json: item.resource.desired))
      let live = item.live.exists ? try LiveFile(json: item.live.state) : nil
      if needsLiveContent(desired, live) {
        waiting.append((index, item.resource.address, desired, live))
      } else if let outcome = try plan(
        desired, live: live, liveContent: nil, at: index, item.resource.address, found)
      {
        outcomes.append(outcome)
      }
    }
    return (outcomes, waiting)
  }
}
