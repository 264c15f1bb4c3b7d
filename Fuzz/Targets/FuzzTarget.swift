import Foundation
import InfraConnectors
import InfraCore
import InfraEngine
import InfraTransport

/// A reader of untrusted bytes that the fuzzer drives (`scripts/fuzz`), and the suite replays
/// with every input kept in `Fuzz/corpus/` and `Fuzz/regressions/`.
///
/// Each must end, for any bytes, in a value or an error that says what is wrong: never a
/// crash, a hang, or memory that grows with what the bytes claim rather than their size.
package enum FuzzTarget: String, CaseIterable, Sendable {
  /// infra.yaml, as `infra validate` loads it.
  case infraYAML = "infra-yaml"
  /// A `.infra-attrs.yaml` of the files connector.
  case attributes = "attrs-yaml"
  /// A program's output: framed into lines, each routed and read as every message it could be.
  case connectorMessages = "connector-messages"
  /// A saved plan, as `infra apply PLANFILE` reads it: as the bytes are, and with a digest
  /// that matches them, so that the reader behind the digest is reached too.
  case savedPlan = "saved-plan"

  /// What a target made of its input.
  package enum Outcome: Hashable, Sendable {
    /// Read; `detail` says what (a count, a summary).
    case read(String)
    /// Refused, with the first error.
    case refused(String)
  }

  /// Reads `data` as this target does.
  package func run(_ data: Data) -> Outcome {
    switch self {
    case .infraYAML:
      let (config, diagnostics) = ConfigLoader.decode(data)
      if let error = diagnostics.errors.first { return .refused(error.description) }
      return .read("\(config?.hosts.count ?? 0) hosts")
    case .attributes:
      let problems = AttributesFile.problems(ofBytes: data, path: ".infra-attrs.yaml")
      if let error = problems.first(where: { $0.severity == .error }) {
        return .refused(error.description)
      }
      return .read("\(problems.count) warnings")
    case .connectorMessages:
      return Self.frame(data)
    case .savedPlan:
      let sealed = SavedPlan.sealed(Data("{".utf8) + data)
      for bytes in [data, sealed] {
        do {
          let plan = try SavedPlan.decode(bytes)
          return .read("\(plan.plan.changes.count) changes")
        } catch {
          if bytes == sealed { return .refused("\(error)") }
        }
      }
      return .refused("unreachable")
    }
  }

  /// The output `data` framed in pieces whose sizes the first byte picks, as reads from a pipe
  /// cut it anywhere, with a limit of 1 KiB when that byte is odd (so that the limit is
  /// reached) and of 64 KiB when it is even (so that long lines reach the decoders).
  private static func frame(_ data: Data) -> Outcome {
    guard let first = data.first else { return .read("0 lines") }
    let piece = Int(first) + 1
    var framer = LineFramer(limit: first & 1 == 1 ? 1 << 10 : 1 << 16)
    var lines = 0
    var shapes = 0
    let bytes = [UInt8](data.dropFirst())
    bytes.withUnsafeBytes { raw in
      var start = 0
      while start < raw.count {
        let end = min(raw.count, start + piece)
        let kept = framer.append(UnsafeRawBufferPointer(rebasing: raw[start..<end])) { line in
          lines += 1
          shapes += ConnectorMessageReader.read(line)
        }
        if !kept { break }
        start = end
      }
    }
    if framer.overflowed { return .refused("a line over \(framer.limit) bytes") }
    return .read("\(lines) lines, \(shapes) shapes")
  }
}
