import Foundation
import InfraTestSupport
import InfraTransport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// However an apply ends (a hang-up, a reader that went away, a kill), its lock and its record
/// are right afterwards.
extension LockEndToEndTests {
  /// The runs' folders, oldest first.
  func runFolders() throws -> [URL] {
    let runs = root.appending(path: ".infra/runs")
    return try FileManager.default.contentsOfDirectory(atPath: runs.path)
      .filter { !$0.hasPrefix(".") }.sorted().map { runs.appending(path: $0) }
  }

  func recorded(_ file: String, of run: URL) throws -> String {
    try String(contentsOf: run.appending(path: file), encoding: .utf8)
  }

  @Test func aHangUpCancelsLikeCtrlCAndReleasesTheLock() async throws {
    let apply = try WaitingApply(in: root)
    try await apply.waitForPrompt()
    kill(try holderPID(), SIGHUP)  // the terminal went away
    await #expect(try apply.answer(nil) == 130, "\(apply.text)")
    #expect(!isLocked, "\(apply.text)")
    let run = try #require(try runFolders().last)
    #expect(try recorded("status", of: run) == "canceled\n")
    #expect(try recorded("rc", of: run) == "130\n")
  }

  /// `infra apply --yes | head`: the reader is gone before infra writes a byte. What infra
  /// prints is lost, not the apply: it ends as it would have, lock released, end recorded.
  @Test func aClosedStandardOutputStopsTheOutputNotTheApply() async throws {
    let scratch = try TemporaryFolder("closed-output")
    let script = try scratch.write(
      "closed.py",
      """
      import os, subprocess, sys
      read, write = os.pipe()
      os.close(read)
      sys.exit(subprocess.run(sys.argv[1:], stdout=write).returncode)
      """)
    let stderr = scratch.appending("stderr").path
    let code = try ChildProcess.run(
      "/usr/bin/env", ["python3", script.path, Infra.binary.path, "apply", "--yes"],
      directory: root.path, environment: Infra.environment(scratch: scratch), stderr: stderr)
    #expect(code == 0, "\((try? scratch.readText("stderr")) ?? "")")
    #expect(try repo.target.readText("etc/motd") == "hello\n")
    #expect(!isLocked)
    let run = try #require(try runFolders().last)
    #expect(try recorded("status", of: run) == "successful\n")
    #expect(try recorded("rc", of: run) == "0\n")
    #expect(try recorded("stdout", of: run).contains("Apply complete: 1 changed"))
  }

  /// An apply renews its lock while it goes (here, while it waits at its prompt): a lock whose
  /// run is alive never lapses, so no other apply takes it over.
  @Test func aWaitingApplyRenewsItsLease() async throws {
    try repo.writeConfig(lockLease: 3)
    let apply = try WaitingApply(in: root)
    try await apply.waitForPrompt()
    func renewed() -> Int? {
      var info = stat()
      return lstat(lockFile, &info) == 0 ? info.st_mtim.tv_sec : nil
    }
    let taken = try #require(renewed())
    // Waits for a renewal, however long a busy machine takes to make one.
    var latest = taken
    for _ in 0..<1200 where latest == taken {
      try await Task.sleep(for: .milliseconds(50))
      latest = renewed() ?? taken
    }
    #expect(latest > taken, "the lock was renewed")
    #expect(isLocked, "still held")
    await #expect(try apply.answer("yes") == 0, "\(apply.text)")
    #expect(!isLocked)
  }
}
