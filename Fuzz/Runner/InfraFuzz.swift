import Foundation
import InfraFuzzTargets

// Built by `scripts/fuzz` with -DFUZZING and libFuzzer's coverage instrumentation: libFuzzer
// drives the target named by the first argument (its own flags and corpus folders follow).
// Built without it, as `swift build` builds every target, it replays files through a target:
// `infra-fuzz TARGET FILE...`.

#if FUZZING
  @_silgen_name("LLVMFuzzerRunDriver")
  func runFuzzer(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ test: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
  ) -> CInt

  /// The target libFuzzer's callback feeds: set once, before the fuzzer starts.
  nonisolated(unsafe) var fuzzed = FuzzTarget.infraYAML
#endif

@main struct InfraFuzz {
  static func main() {
    let arguments = CommandLine.arguments
    guard arguments.count >= 2, let target = FuzzTarget(rawValue: arguments[1]) else {
      let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
      FileHandle.standardError.write(
        Data("usage: infra-fuzz TARGET ... (targets: \(names))\n".utf8))
      exit(64)
    }
    #if FUZZING
      fuzzed = target
      // libFuzzer sees its own name and flags, without the target's.
      var pointers =
        [CommandLine.unsafeArgv[0]]
        + (2..<Int(CommandLine.argc)).map { CommandLine.unsafeArgv[$0] } + [nil]
      var count = CInt(pointers.count - 1)
      let code = pointers.withUnsafeMutableBufferPointer { buffer in
        var argv = buffer.baseAddress
        return runFuzzer(&count, &argv) { bytes, size in
          _ = fuzzed.run(bytes.map { Data(bytes: $0, count: size) } ?? Data())
          return 0
        }
      }
      exit(code)
    #else
      for path in arguments.dropFirst(2) {
        guard let data = FileManager.default.contents(atPath: path) else {
          FileHandle.standardError.write(Data("infra-fuzz: cannot read \(path)\n".utf8))
          exit(1)
        }
        print("\(path): \(target.run(data))")
      }
    #endif
  }
}
