import Foundation
import InfraTestSupport
import InfraTransport
import Testing

/// The example program `Examples/EmbeddedPlan`, which embeds InfraKit, plans real repositories
/// on this machine with handlers that see every status and event.
@Suite struct EmbeddingEndToEndTests {
  static let example = Infra.binary.deletingLastPathComponent().appending(path: "EmbeddedPlan")

  func run(_ arguments: [String]) throws -> (code: Int32, output: String) {
    let scratch = try TemporaryFolder("embedded")
    let output = scratch.appending("output").path
    let code = try ChildProcess.run(
      Self.example.path, arguments, stdout: output, stderr: output)
    return (code, try scratch.readText("output"))
  }

  @Test func itPlansARepositoryOfItsOwn() throws {
    let (code, output) = try run([])
    #expect(code == 0, "\(output)")
    let statuses = output.split(separator: "\n").filter { $0.hasPrefix("status: ") }
    #expect(
      statuses == ["status: starting", "status: running", "status: successful"], "\(output)")
    #expect(output.contains("event 1: run_start\n"))
    #expect(output.contains("change_planned on local"))
    #expect(output.contains("+ demo/files/local/hello.txt on local: create "))
    #expect(output.hasSuffix("plan: 1 to create, 0 to update, 0 to delete, 0 unchanged\n"))
  }

  @Test func itPlansARepositoryItIsGiven() throws {
    let repo = try TestRepository("embedded")
    try repo.writeConfig()
    try repo.resource("local/etc/motd", "hello\n")
    try repo.resource("local/etc/issue", "new\n")
    try repo.target.write("etc/motd", "hello\n")
    let (code, output) = try run([repo.root.appending("resources").path])
    #expect(code == 0, "\(output)")
    #expect(output.contains("+ test/files/local/etc/issue on local"), "\(output)")
    #expect(output.hasSuffix("plan: 1 to create, 0 to update, 0 to delete, 1 unchanged\n"))

    let missing = try run([try TemporaryFolder("nothing").path])
    #expect(missing.code == 1)
    #expect(missing.output.contains("there is no infra.yaml in"), "\(missing.output)")
  }
}
