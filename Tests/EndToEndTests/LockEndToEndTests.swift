import Foundation
import InfraTestSupport
import InfraTransport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// Two `infra apply` processes on one host: the first holds the host's lock while it waits at
/// its confirmation prompt (on a pseudo-terminal), so the second meets the lock for certain.
@Suite struct LockEndToEndTests {
  let repo: TestRepository
  var root: URL { repo.root.url }
  var lockFile: String { root.appending(path: ".infra/locks/local.lock").path }
  /// Whether the host's lock is there (a symbolic link whose target is its holder, not a path).
  var isLocked: Bool {
    (try? FileManager.default.destinationOfSymbolicLink(atPath: lockFile)) != nil
  }

  init() throws {
    repo = try TestRepository("lock")
    try repo.writeConfig()
    try repo.resource("local/etc/motd", "hello\n")
  }

  /// An `infra apply` on a terminal, stopped at its prompt until `answer` is called.
  final class WaitingApply {
    let pid: pid_t
    let output: URL
    let input: FileHandle
    let scratch: TemporaryFolder

    init(in folder: URL) throws {
      scratch = try TemporaryFolder("waiting-apply")
      output = try scratch.write("output", "")
      let fifo = scratch.appending("input").path
      guard mkfifo(fifo, 0o600) == 0 else {
        throw ChildProcessError(message: "mkfifo failed: \(String(cString: strerror(errno)))")
      }
      // Opened read-write, which does not wait for a reader: the spawned child (which cannot
      // run before it has opened its input) then finds a writer and does not wait either.
      let descriptor = open(fifo, O_RDWR | O_CLOEXEC)
      guard descriptor >= 0 else {
        throw ChildProcessError(message: "cannot open \(fifo): \(String(cString: strerror(errno)))")
      }
      input = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
      let command = "'\(Infra.binary.path)' apply"
      pid = try ChildProcess.spawn(
        "/usr/bin/script", ["-qec", command, "/dev/null"], directory: folder.path,
        environment: Infra.environment(scratch: scratch), stdin: fifo, stdout: output.path,
        stderr: output.path)
    }

    var text: String { (try? String(contentsOf: output, encoding: .utf8)) ?? "" }

    /// Waits until the prompt is shown, by which time every host is locked.
    func waitForPrompt() async throws {
      let deadline = Date().addingTimeInterval(60)
      while !text.contains("Only 'yes' is accepted") {
        guard Date() < deadline else {
          throw ChildProcessError(message: "no prompt within 60 s:\n\(text)")
        }
        try await Task.sleep(for: .milliseconds(50))
      }
    }

    /// Answers the prompt (`nil` only closes its input) and waits for the end; returns the exit
    /// code.
    func answer(_ line: String?) async throws -> Int32 {
      if let line { try input.write(contentsOf: Data((line + "\n").utf8)) }
      try input.close()
      return await ChildProcess.exit(of: pid)
    }
  }

  /// The holder's pid, read from the lock on the host.
  func holderPID() throws -> pid_t {
    let target = try FileManager.default.destinationOfSymbolicLink(atPath: lockFile)
    let holder = try #require(
      try JSONSerialization.jsonObject(with: Data(target.utf8)) as? [String: Any])
    return try #require((holder["pid"] as? NSNumber)?.int32Value)
  }

  @Test func aSecondApplyMeetsTheLockAndTheFirstProceeds() async throws {
    let first = try WaitingApply(in: root)
    try await first.waitForPrompt()
    let pid = try holderPID()

    let second = try await Infra.run(["apply", "--yes"], in: root)
    #expect(second.code == 1, "\(second)")
    #expect(second.stdout.contains("Could not lock:"), "\(second)")
    #expect(second.stdout.contains("Nothing was planned: the apply could not lock its host."))
    #expect(!second.stdout.contains("Plan: 0 to create"), "\(second)")
    #expect(second.stdout.contains("local is locked by "))
    #expect(second.stdout.contains("pid \(pid), since "))
    #expect(second.stdout.contains("checkout \(root.path))"))
    #expect(second.stdout.contains("`infra unlock local` removes it"))
    #expect(!repo.target.exists("etc/motd"), "the second apply changed nothing")

    // Waiting for the lock gives up after the time given, naming the holder again.
    let waited = try await Infra.run(["apply", "--yes", "--lock-timeout", "1"], in: root)
    #expect(waited.code == 1)
    #expect(waited.stdout.contains("local is locked by "))

    await #expect(try first.answer("yes") == 0, "\(first.text)")
    #expect(first.text.contains("Apply complete: 1 changed"))
    #expect(try repo.target.readText("etc/motd") == "hello\n")
    #expect(!isLocked, "released at the end")
  }

  /// A killed apply on this machine leaves its lock, and the next apply takes it over at
  /// once, as its holder's process is gone: no `infra unlock` is needed.
  @Test func aKilledApplysLockIsTakenOverByTheNextApply() async throws {
    let first = try WaitingApply(in: root)
    try await first.waitForPrompt()
    let pid = try holderPID()
    kill(pid, SIGKILL)
    _ = try await first.answer(nil)
    #expect(isLocked, "a killed process cannot let go")

    let killed = try #require(try runFolders().last)
    let next = try await Infra.run(["apply", "--yes"], in: root)
    #expect(next.code == 0, "\(next)")
    #expect(try repo.target.readText("etc/motd") == "hello\n")
    #expect(!isLocked, "released at the end")
    #expect(
      next.stderr.contains("warning: took over the lock of local from "), "\(next)")
    #expect(next.stderr.contains("pid \(pid), since "))
    #expect(next.stderr.contains(": its process, pid \(pid), has ended\n"))
    // The next run finds the killed one and says so, once.
    #expect(try recorded("status", of: killed) == "killed\n")
    let name = killed.lastPathComponent
    #expect(
      next.stderr.contains(
        "warning: run \(name) ended without recording its end: its process was killed, or its machine stopped"
      ))
    #expect(next.stderr.contains("what it did until then is in .infra/runs/\(name)/events.jsonl"))
    let again = try await Infra.run(["apply", "--yes"], in: root)
    #expect(!again.stderr.contains("ended without recording"), "said once: \(again)")
  }

  /// A lock whose holder cannot be known to be gone (another machine's, its lease still
  /// running) stops an apply, and `infra unlock` removes it.
  @Test func aLockFromElsewhereIsRemovedWithUnlock() async throws {
    let holder =
      #"{"checkout":"/src","machine":"elsewhere","pid":4242,"run":"far-run","since":"2026-12-02T10:00:00.000Z","user":"bob"}"#
    try FileManager.default.createDirectory(
      atPath: root.appending(path: ".infra/locks").path, withIntermediateDirectories: true)
    try FileManager.default.createSymbolicLink(atPath: lockFile, withDestinationPath: holder)
    let blocked = try await Infra.run(["apply", "--yes"], in: root)
    #expect(blocked.code == 1, "\(blocked)")
    #expect(blocked.stdout.contains("local is locked by bob@elsewhere (run far-run, pid 4242"))

    let unlock = try await Infra.run(["unlock", "local"], in: root)
    #expect(unlock.code == 0, "\(unlock)")
    #expect(unlock.stdout.contains("Removed the lock on local held by bob@elsewhere"), "\(unlock)")
    #expect(try await Infra.run(["unlock", "local"], in: root).stdout == "local was not locked.\n")

    let apply = try await Infra.run(["apply", "--yes"], in: root)
    #expect(apply.code == 0, "\(apply)")
    #expect(try repo.target.readText("etc/motd") == "hello\n")

    let unknown = try await Infra.run(["unlock", "lokal"], in: root)
    #expect(unknown.code == 1)
    #expect(unknown.stderr.contains("there is no host 'lokal'"), "\(unknown)")
    #expect(unknown.stderr.contains("did you mean 'local'?"))
  }

  @Test func declinedAndCanceledAppliesReleaseTheirLocks() async throws {
    let declined = try WaitingApply(in: root)
    try await declined.waitForPrompt()
    #expect(isLocked)
    await #expect(try declined.answer("no") == 1)
    #expect(!isLocked, "\(declined.text)")

    let canceled = try WaitingApply(in: root)
    try await canceled.waitForPrompt()
    kill(try holderPID(), SIGINT)
    await #expect(try canceled.answer(nil) == 130, "\(canceled.text)")
    #expect(!isLocked, "\(canceled.text)")
  }
}
