import Foundation
import InfraTestSupport
import InfraTransport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// sshd killed while `infra apply` writes to two hosts: the other host finishes; the cut one is
/// reported unreachable, with what it confirmed counted as changed, the file in flight as
/// failed and the rest as skipped; and once sshd is back and the lease has run out, the next
/// apply completes without `infra unlock`.
@Suite struct CutConnectionEndToEndTests {
  let cut: SSHServer
  let other: SSHServer
  let repo: TemporaryFolder
  let targets: [String: TemporaryFolder]
  let locks: TemporaryFolder
  let scratch: TemporaryFolder
  static let lease = 2
  /// Files written before and after the big one, on each host.
  static let small = 20

  /// Where the cut host's gate says that it holds a command's input back.
  let gate: TemporaryFolder

  init() throws {
    gate = try SSHServer.ownedFolder("cut-gate")
    try gate.write("gate.py", Self.gateProgram)
    try SSHServer.giveAway(gate)
    cut = try SSHServer(
      extraConfig:
        "ForceCommand exec python3 \(gate.appending("gate.py").path) \(gate.path) \(Self.heldAfter)"
    )
    other = try SSHServer()
    repo = try TemporaryFolder("cut-repo")
    targets = [
      "cut": try SSHServer.ownedFolder("cut-target"),
      "other": try SSHServer.ownedFolder("cut-other-target"),
    ]
    locks = try SSHServer.ownedFolder("cut-locks")
    scratch = try TemporaryFolder("cut-scratch")
  }

  private var events: String { scratch.appending("events.jsonl").path }

  private func writeRepository() throws {
    try repo.write(
      "infra.yaml",
      """
      version: 1
      hosts:
      \(cut.hostYAML("cut"))
      \(other.hostYAML("other"))
      locks: { folder: \(locks.path), lease: \(Self.lease) }
      prefixes:
        test:
          connectors:
            - name: files
              options: { root: / }
      """)
    for host in ["cut", "other"] {
      let target = targets[host]!.path.dropFirst()
      for index in 0..<Self.small {
        try repo.write(
          "resources/test/files/\(host)/\(target)/a/\(index)", "a\(index) of \(host)\n")
        try repo.write(
          "resources/test/files/\(host)/\(target)/c/\(index)", "c\(index) of \(host)\n")
      }
      // Big enough to be in flight for a while: the cut comes while it is.
      let big = scratch.appending("big-\(host)")
      _ = FileManager.default.createFile(atPath: big.path, contents: nil)
      let handle = try FileHandle(forWritingTo: big)
      let chunk = Data((0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 7) })
      for _ in 0..<32 { try handle.write(contentsOf: chunk) }
      try handle.close()
      let destination = repo.appending("resources/test/files/\(host)/\(target)/b-big")
      try FileManager.default.moveItem(at: big, to: destination)
    }
  }

  @Test func aCutConnectionIsAnUnreachableHostAndTheLeaseRunsOut() async throws {
    try writeRepository()
    try gate.write("armed", "")
    try SSHServer.giveAway(gate)
    // The cut run is another machine's (a host name of its own, in a UTS namespace), so that
    // the next run cannot know its holder is gone and must wait for the lease to run out.
    let infra = try ChildProcess.start(
      "/usr/bin/unshare",
      (geteuid() == 0 ? ["--uts"] : ["--user", "--map-root-user", "--uts"]) + [
        "/bin/sh", "-c", #"hostname infra-elsewhere && exec "$0" "$@""#, Infra.binary.path,
        "apply", "--yes", "--events", events,
      ], directory: repo.path,
      environment: Infra.environment(scratch: scratch),
      stdout: try scratch.write("stdout", "").path, stderr: try scratch.write("stderr", "").path)
    // The cut comes while the big file is on its way: the host's gate holds the installer's
    // input back once 16 MiB of it passed, and says so.
    let target = targets["cut"]!
    for _ in 0..<6000 where infra.ended == nil && !gate.exists("held") {
      try await Task.sleep(for: .milliseconds(10))
    }
    try #require(
      gate.exists("held"),
      "the big file was never in flight: \((try? scratch.readText("stdout")) ?? "")")
    #expect(Self.temporaryFiles(in: target.url).count == 1)
    cut.cut()
    let cutAt = ContinuousClock.now
    let code = await infra.waitForExit().code
    let output = try scratch.readText("stdout") + (try scratch.readText("stderr"))
    #expect(code == 1, "\(output)")

    let lines = try String(contentsOfFile: events, encoding: .utf8).split(separator: "\n")
    let all = try lines.map {
      try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
    }
    func named(_ name: String, _ host: String) -> [[String: Any]] {
      all.filter { $0["event"] as? String == name && $0["host"] as? String == host }
    }
    let unreachable = named("host_unreachable", "cut")
    #expect(unreachable.count == 1, "\(output)")
    let reason = (unreachable.first?["data"] as? [String: Any])?["reason"] as? String
    #expect(reason?.contains("connection") == true, "\(reason ?? "no reason")")
    #expect(named("op_ok", "cut").count == Self.small, "\(output)")
    #expect(named("op_failed", "cut").map { $0["address"] as? String }.count == 1)
    #expect(
      named("op_failed", "cut").first?["address"] as? String == "test/files/cut\(target.path)/b-big"
    )
    #expect(named("op_skipped", "cut").count == Self.small)
    let end = try #require(all.last { $0["event"] as? String == "run_end" })
    let stats = try #require((end["data"] as? [String: Any])?["stats"] as? [String: Any])
    func counts(_ host: String) -> String {
      let host = stats[host] as? [String: Any] ?? [:]
      return ["changed", "failed", "skipped", "unreachable"].map { "\($0) \(host[$0] ?? "-")" }
        .joined(separator: ", ")
    }
    #expect(
      counts("cut") == "changed \(Self.small), failed 1, skipped \(Self.small), unreachable 1",
      "\(output)")
    #expect(counts("other") == "changed \(2 * Self.small + 1), failed 0, skipped 0, unreachable 0")
    for index in 0..<Self.small {
      #expect(try target.readText("a/\(index)") == "a\(index) of cut\n")
      #expect(!target.exists("c/\(index)"))
      #expect(try targets["other"]!.readText("c/\(index)") == "c\(index) of other\n")
    }
    #expect(output.contains("host cut is unreachable"), "\(output)")
    #expect(output.contains("the next apply takes it over once its lease (2s) has run out"))

    // sshd back, and the cut run's lease over: the next apply takes the lock over and ends
    // the work, leaving no temporary file.
    try cut.restart()
    try await Task.sleep(until: cutAt + .seconds(Self.lease + 1))
    let next = try await Infra.run(["apply", "--yes"], in: repo.url)
    #expect(next.code == 0, "\(next)")
    #expect(next.stdout.contains("Apply complete: \(Self.small + 1) changed, 0 failed"), "\(next)")
    #expect(
      (next.stdout + next.stderr).contains("took over the lock of cut from root@infra-elsewhere"),
      "\(next)")
    #expect((next.stdout + next.stderr).contains("its lease ran out"), "\(next)")
    #expect(
      try target.read("b-big") == (try repo.read("resources/test/files/cut\(target.path)/b-big")))
    for index in 0..<Self.small {
      #expect(try target.readText("c/\(index)") == "c\(index) of cut\n")
    }
    for folder in targets.values { #expect(Self.temporaryFiles(in: folder.url).isEmpty) }
    // The lock the cut run could not release was taken over, then released.
    #expect(try FileManager.default.contentsOfDirectory(atPath: locks.path).isEmpty)
  }

  /// How much of one command's input the cut host's gate lets through.
  static let heldAfter = 16 << 20

  /// The cut host's login command (sshd's ForceCommand): runs the command asked for, passing
  /// its input through. While the folder holds `armed`, once `limit` bytes of one command's
  /// input have passed, it holds the rest back (once: `armed` goes), creates `held`, and
  /// waits for sshd to go (its parent changes).
  static let gateProgram = """
    import os, subprocess, sys, time
    folder, limit = sys.argv[1], int(sys.argv[2])
    armed, marker = os.path.join(folder, "armed"), os.path.join(folder, "held")
    parent = os.getppid()
    child = subprocess.Popen(["/bin/sh", "-c", os.environ.get("SSH_ORIGINAL_COMMAND", "")],
                             stdin=subprocess.PIPE)
    passed = 0
    while True:
        chunk = os.read(0, 65536)
        if not chunk:
            break
        if passed + len(chunk) > limit and os.path.exists(armed):
            os.unlink(armed)
            child.stdin.write(chunk[:limit - passed])
            child.stdin.flush()
            open(marker, "w").close()
            while os.getppid() == parent:
                time.sleep(0.05)
            sys.exit(255)
        child.stdin.write(chunk)
        child.stdin.flush()
        passed += len(chunk)
    child.stdin.close()
    sys.exit(child.wait())
    """

  /// infra's temporary files anywhere below `folder`.
  static func temporaryFiles(in folder: URL) -> [URL] {
    let enumerator = FileManager.default.enumerator(atPath: folder.path)
    var found: [URL] = []
    while let entry = enumerator?.nextObject() as? String {
      if entry.split(separator: "/").last?.hasPrefix(".infra-tmp-") == true {
        found.append(folder.appending(path: entry))
      }
    }
    return found
  }
}
