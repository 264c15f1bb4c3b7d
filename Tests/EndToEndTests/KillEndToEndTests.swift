import Foundation
import InfraTestSupport
import InfraTransport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// `infra apply` killed outright (SIGKILL) at random moments, alone or together with the
/// processes it started (as a cgroup or the OOM killer would): every file is wholly old or
/// wholly new after each kill, and the next apply converges, with no `infra unlock` and no
/// temporary file left anywhere.
@Suite struct KillEndToEndTests {
  let repo: TestRepository
  let files = 500

  init() throws {
    repo = try TestRepository("kills")
    try repo.writeConfig()
  }

  func content(_ index: Int, _ generation: Int) -> String {
    "file \(index), generation \(generation)\n" + String(repeating: "x", count: 64 * (index % 7))
  }

  func write(generation: Int) throws {
    for index in 0..<files {
      try repo.resource("local/d\(index / 50)/f\(index)", content(index, generation))
    }
  }

  @Test func fiftyKillsAtRandomMomentsLeaveNothingTornLockedOrBehind() async throws {
    try write(generation: 0)
    let first = try await Infra.run(["apply", "--yes"], in: repo.root.url)
    #expect(first.code == 0, "\(first)")
    var random = SeededGenerator(seed: 13)
    for kill in 1...50 {
      try write(generation: kill)
      let scratch = try TemporaryFolder("kill")
      let infra = try ChildProcess.start(
        Infra.binary.path, ["apply", "--yes"], directory: repo.root.path,
        environment: Infra.environment(scratch: scratch))
      // Any moment is a right one: before the lock, while planning, while writing, after.
      // Every fifth kill waits until files are being written, so that some surely land then.
      if kill % 5 == 0 {
        let probe = "d\(files / 2 / 50)/f\(files / 2)"
        for _ in 0..<2400 where infra.ended == nil {
          if (try? repo.target.readText(probe)) == content(files / 2, kill) { break }
          try await Task.sleep(for: .milliseconds(5))
        }
      } else {
        try await Task.sleep(for: .milliseconds(Int.random(in: 0...900, using: &random)))
      }
      let withChildren = kill % 2 == 0
      let children = stopAndKill(infra, withChildren: withChildren)
      _ = await infra.waitForExit()
      // Children left running finish on their own (their input ended); they are waited for,
      // so that what they leave is what a later apply must cope with.
      for _ in 0..<1200 where children.contains(where: isRunning) {
        try await Task.sleep(for: .milliseconds(25))
      }

      var new = 0
      for index in 0..<files {
        let text = try repo.target.readText("d\(index / 50)/f\(index)")
        let whole = text == content(index, kill - 1) || text == content(index, kill)
        #expect(whole, "kill \(kill): d\(index / 50)/f\(index) is torn")
        if text == content(index, kill) { new += 1 }
      }

      let next = try await Infra.run(["apply", "--yes"], in: repo.root.url)
      #expect(next.code == 0, "kill \(kill) (children too: \(withChildren)): \(next)")
      let leftovers = repo.target.files().filter { $0.contains(".infra-tmp-") }
      let info = leftovers.map { name -> String in
        let pid = name.split(separator: "-")[2]
        let cmd = (try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)) ?? "gone"
        return
          "\(name): its writer, pid \(pid), is \(cmd.isEmpty ? "a zombie" : "running \(cmd.prefix(80))"); \(new) files were new before the next apply"
      }
      #expect(leftovers.isEmpty, "kill \(kill): \(info)")
      #expect(try repo.target.readText("d9/f499") == content(499, kill))
    }
  }

  /// Freezes `infra` (so it starts nothing more), then kills it, and with `withChildren` every
  /// process it started, at once. Returns the processes it started.
  private func stopAndKill(_ infra: ChildProcess, withChildren: Bool) -> [Int32] {
    Glibc.kill(infra.pid, SIGSTOP)
    let children = descendants(of: infra.pid)
    if withChildren {
      for child in children { Glibc.kill(child, SIGKILL) }
    }
    infra.signal(SIGKILL)
    return children
  }
}
