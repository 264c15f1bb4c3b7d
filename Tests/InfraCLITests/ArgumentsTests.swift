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
  }
}
