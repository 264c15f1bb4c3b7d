import Foundation
import InfraTestSupport
import InfraTransport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// A plan has nothing in flight that must finish: against a connector whose read never
/// answers (and whose own call timeout is five minutes), SIGTERM and `--timeout` end it at
/// once, and the connector does not outlive it.
extension ExternalConnectorEndToEndTests {
  enum Ending: String, CaseIterable, CustomTestStringConvertible {
    case sigterm, timeout
    var testDescription: String { rawValue }
  }

  @Test(arguments: Ending.allCases)
  func aPlanStuckInAConnectorEndsAtOnce(_ ending: Ending) async throws {
    let probe = try TemporaryFolder("hang-probe")
    _ = try repo.write(
      "connectors/hang.py",
      """
      import os, sys, time
      from pathlib import Path
      sys.path.insert(0, str(Path(__file__).resolve().parent))
      from infra_connector import Connector, main

      class Hang(Connector):
          summary = "reads forever"

          def read(self, host, name, desired):
              Path(os.environ["PROBE"], "reading").write_text(str(os.getpid()))
              time.sleep(3600)

      main(Hang())
      """)
    try config(
      connector: "hang",
      connectorLines: "        timeout: 300\n        env: { PROBE: \(probe.path) }")
    _ = try repo.write("resources/ops/hang/box/thing", "anything\n")
    let scratch = try TemporaryFolder("hang-run")
    let output = scratch.appending("output").path
    let arguments = ending == .timeout ? ["plan", "--timeout", "2"] : ["plan"]
    let infra = try ChildProcess.start(
      Infra.binary.path, arguments, directory: root.path,
      environment: Infra.environment(scratch: scratch), stdout: output, stderr: output)
    // Once the connector is in its read, the plan is stuck there.
    for _ in 0..<1200 where !probe.exists("reading") && infra.ended == nil {
      try await Task.sleep(for: .milliseconds(50))
    }
    let reading = try #require(
      try? probe.readText("reading"), "\((try? scratch.readText("output")) ?? "")")
    let connector = try #require(Int32(reading))
    if ending == .sigterm { infra.signal(SIGTERM) }
    // A guard, not a measure: a plan that waited for the connector's call timeout fails.
    Thread.detachNewThread {
      Thread.sleep(forTimeInterval: 60)
      infra.signal(SIGKILL)
    }
    let code = await infra.waitForExit().code
    let said = try scratch.readText("output")
    #expect(code == (ending == .timeout ? 124 : 130), "\(said)")
    #expect(!isRunning(connector), "the connector outlived the plan")
    // It says what it did not get to, and does not claim the host matches.
    #expect(said.contains("Not finished: 1 resource was not read, as the run stopped first"))
    #expect(!said.contains("No changes"))
  }
}
