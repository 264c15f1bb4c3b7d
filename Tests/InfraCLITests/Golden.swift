import Foundation
import Testing

/// Golden files for what users read: an output is compared with the file that holds what it
/// should be, so a reviewer sees a change of it as a diff. A missing file records itself and
/// fails; `INFRA_RECORD_GOLDEN=1` records changed ones, to review as a diff.
enum Golden {
  static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()

  /// Compares `actual` with the golden file `relative` (below this test target's folder).
  static func check(_ actual: String, _ relative: String) throws {
    let url = folder.appending(path: relative)
    let record = ProcessInfo.processInfo.environment["INFRA_RECORD_GOLDEN"] == "1"
    guard let expected = try? String(contentsOf: url, encoding: .utf8), !record else {
      try actual.write(to: url, atomically: true, encoding: .utf8)
      Issue.record("recorded \(relative); review it and run the tests again")
      return
    }
    #expect(actual == expected, "\(relative) differs from the rendering")
  }
}
