import InfraCLI

/// The `infra` executable: everything lives in `InfraCLI`, so tests can drive it too.
@main
enum Main {
  static func main() async {
    await InfraCommand.main(InfraCommand.normalize(Array(CommandLine.arguments.dropFirst())))
  }
}
