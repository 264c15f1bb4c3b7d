import InfraCLI
import Logging

#if canImport(Glibc)
  import Glibc
#endif

/// The `infra` executable: everything lives in `InfraCLI`, so tests can drive it too; this
/// process alone catches its signals, sets up logging and tunes its allocator, once.
@main
enum Main {
  static func main() async {
    #if canImport(Glibc)
      // Buffers of 128 KiB and more (a host's read output, the read script, a file's
      // content) get mappings of their own, returned to the system when freed. Left to
      // glibc, the threshold rises with the first such free and later large buffers come
      // from the heap and fragment it: 14 MiB of a 10,000-file plan's peak.
      // (`mallopt` is in malloc.h, which the Glibc module does not bring: found by name.)
      typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
      let mmapThreshold: Int32 = -3  // M_MMAP_THRESHOLD
      if let mallopt = dlsym(nil, "mallopt") {
        _ = unsafeBitCast(mallopt, to: Mallopt.self)(mmapThreshold, 128 * 1024)
      }
    #endif
    Interrupts.install()
    LoggingSystem.bootstrap(Verbosity.handler(label:))
    await InfraCommand.run(Array(CommandLine.arguments.dropFirst()))
  }
}
