import InfraCLI
import Logging

/// The `infra` executable: everything lives in `InfraCLI`, so tests can drive it too; this
/// process alone catches its signals and sets up logging, once.
@main
enum Main {
  static func main() async {
    Interrupts.install()
    LoggingSystem.bootstrap(Verbosity.handler(label:))
    await InfraCommand.run(Array(CommandLine.arguments.dropFirst()))
  }
}
