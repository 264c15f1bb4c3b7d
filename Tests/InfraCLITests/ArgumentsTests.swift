import InfraCLI
import Testing

@Suite struct ArgumentsTests {
  @Test func globalOptionsBeforeTheSubcommandMoveAfterIt() {
    #expect(InfraCommand.normalize(["-C", "dir", "plan", "x"]) == ["plan", "-C", "dir", "x"])
    #expect(
      InfraCommand.normalize(["--no-color", "-v", "--repo=r", "apply", "--yes"])
        == ["apply", "--no-color", "-v", "--repo=r", "--yes"])
    #expect(InfraCommand.normalize(["plan", "-C", "dir"]) == ["plan", "-C", "dir"])
    #expect(InfraCommand.normalize(["-C", "dir"]) == ["-C", "dir"])
    #expect(InfraCommand.normalize(["--help"]) == ["--help"])
    #expect(InfraCommand.normalize([]) == [])
    // The command of `infra run` is set apart, so the hosts before it can have options
    // around them.
    #expect(
      InfraCommand.normalize(["-v", "run", "web1", "--sudo", "--", "ls", "-la", "--", "x"]) == [
        "run", "-v", "web1", "--sudo", "--command-word=ls", "--command-word=-la",
        "--command-word=--", "--command-word=x",
      ])
    #expect(InfraCommand.normalize(["plan", "--", "x"]) == ["plan", "--", "x"])
  }
}
