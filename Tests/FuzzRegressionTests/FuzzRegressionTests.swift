import Foundation
import InfraFuzzTargets
import Testing

/// The fuzz targets' kept inputs, read as the fuzzer reads them: the seeds of `Fuzz/corpus/`
/// and every input that ever crashed, hung or ran out of memory, kept in `Fuzz/regressions/`
/// (`scripts/fuzz` copies them there). A crash ends this test process, failing the suite.
@Suite struct FuzzRegressionTests {
  static let fuzz = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().appending(path: "Fuzz")

  static func inputs(_ target: FuzzTarget) -> [URL] {
    ["corpus", "regressions"].flatMap { kind -> [URL] in
      let folder = fuzz.appending(path: "\(kind)/\(target.rawValue)")
      let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
      return names.filter { !$0.hasPrefix(".") }.sorted().map { folder.appending(path: $0) }
    }
  }

  @Test(arguments: FuzzTarget.allCases)
  func everyKeptInputEndsInAValueOrAnError(_ target: FuzzTarget) throws {
    let inputs = Self.inputs(target)
    #expect(!inputs.isEmpty, "no seeds for \(target.rawValue) in Fuzz/corpus/")
    for input in inputs {
      let outcome = target.run(try Data(contentsOf: input))
      switch outcome {
      case .read(let detail): #expect(!detail.isEmpty, "\(input.lastPathComponent)")
      case .refused(let why): #expect(!why.isEmpty, "\(input.lastPathComponent)")
      }
    }
  }

  /// The seeds are what the targets read well: a regression of the readers shows here first.
  @Test func theSeedsThatAreValidAreRead() throws {
    let valid: [(FuzzTarget, String, String)] = [
      (.infraYAML, "demo.yaml", "1 hosts"),
      (.attributes, "modes.yaml", "0 warnings"),
      (.connectorMessages, "session.txt", "lines"),
      (.savedPlan, "sealed-body.json", "1 changes"),
    ]
    for (target, name, expected) in valid {
      let data = try Data(
        contentsOf: Self.fuzz.appending(path: "corpus/\(target.rawValue)/\(name)"))
      guard case .read(let detail) = target.run(data) else {
        Issue.record("\(target.rawValue)/\(name): \(target.run(data))")
        continue
      }
      #expect(detail.contains(expected), "\(target.rawValue)/\(name): \(detail)")
    }
  }
}
