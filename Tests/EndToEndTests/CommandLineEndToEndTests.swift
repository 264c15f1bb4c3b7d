import Foundation
import InfraTestSupport
import Testing

/// The command line as people type it: a mistyped command; `infra run` with help, options on
/// either side of the hosts, a `--` inside the command, and a command its timeout stops (exit
/// 124, as timeout(1) has it).
@Suite struct CommandLineEndToEndTests {
  let repo: TestRepository

  init() throws {
    repo = try TestRepository("run-traps")
    try repo.writeConfig()
  }

  func infra(_ arguments: [String]) async throws -> InfraRun {
    try await Infra.run(arguments, in: repo.root.url)
  }

  @Test func aMistypedCommandGetsADidYouMean() async throws {
    let typo = try await infra(["-C", repo.root.path, "aply", "--yes"])
    #expect(typo.code == 64, "\(typo)")
    #expect(typo.stderr.hasPrefix("error: there is no command 'aply' in infra\n"), "\(typo)")
    #expect(typo.stderr.contains("hint: did you mean 'apply'? commands: plan, apply, validate"))
    #expect(try await infra(["help", "plan"]).code == 0)
  }

  @Test func helpIsHelp() async throws {
    for flag in ["--help", "-h"] {
      let help = try await infra(["run", flag])
      #expect(help.code == 0, "\(flag): \(help)")
      #expect(help.stdout.contains("USAGE: infra run [OPTIONS] HOST|@GROUP... -- COMMAND..."))
      #expect(help.stdout.contains("--timeout <seconds>"), "\(help)")
    }
  }

  @Test func optionsMayFollowTheHostsAndTheCommandKeepsItsOwn() async throws {
    let run = try await infra([
      "run", "local", "@web", "--parallelism", "2", "--", "echo", "--sudo", "--", "-h",
    ])
    #expect(run.code == 0, "\(run)")
    #expect(run.stdout.contains("\n--sudo -- -h\n"), "\(run)")
    #expect(run.stdout.contains("1 host: 1 ok"), "\(run)")
    let missing = try await infra(["run", "local", "uptime"])
    #expect(missing.code == 64, "\(missing)")
    #expect(missing.stderr.contains("give the command after `--`"), "\(missing)")
  }

  @Test func aCommandStoppedByItsTimeoutExits124() async throws {
    let run = try await infra(["run", "local", "--timeout", "1", "--", "sleep", "30"])
    #expect(run.code == 124, "\(run)")
    #expect(run.stdout.contains("local | timed out"), "\(run)")
    // The run's record says so too.
    let runs = try await infra(["runs", "--json"])
    let records = try JSONSerialization.jsonObject(with: Data(runs.stdout.utf8)) as? [[String: Any]]
    #expect(records?.first?["rc"] as? Int == 124, "\(runs)")
    let fine = try await infra(["run", "--timeout", "30", "local", "--", "true"])
    #expect(fine.code == 0, "\(fine)")
  }
}
