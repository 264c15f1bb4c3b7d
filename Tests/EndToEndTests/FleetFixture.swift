import Foundation
import InfraTestSupport
import InfraTransport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// A repository whose hosts meet every rule of the work on hosts, for every command that
/// touches them: `box` is reached through a transport program that logs each call (and hangs
/// in every command while a marker file exists), `far` is a real SSH host (whose server a test
/// may stop, as a host goes down), and an external connector that logs serves both.
struct FleetFixture {
  /// The commands that work on hosts, each as a test runs it.
  enum Command: String, CaseIterable, CustomTestStringConvertible {
    case plan, apply, savedApply, pull, `import`, run, unlock

    var testDescription: String { rawValue }

    /// Whether a connector (and not only the transport) works on the hosts.
    var usesConnectors: Bool { self != .run && self != .unlock }
  }

  let repo: TemporaryFolder
  /// Where the programs write their pids, and the marker that makes the transport hang.
  let probe: TemporaryFolder
  /// The hosts' side: files, notes and locks, owned by the SSH login user.
  let hosts: TemporaryFolder
  let server: SSHServer
  let scratch: TemporaryFolder

  init() throws {
    repo = try TemporaryFolder("fleet-repo")
    probe = try TemporaryFolder("fleet-probe")
    hosts = try SSHServer.ownedFolder("fleet-hosts")
    scratch = try TemporaryFolder("fleet-scratch")
    server = try SSHServer()
    let connectors = Infra.projectRoot.appending(path: "connectors")
    for name in ["infra_connector.py", "folder_transport.py"] {
      try repo.write(
        "connectors/\(name)",
        try String(contentsOf: connectors.appending(path: name), encoding: .utf8))
    }
    try repo.write("connectors/probe_transport.py", Self.transport)
    try repo.write("connectors/notes.py", Self.notes)
    for folder in ["files", "notes", "locks"] {
      try hosts.write("\(folder)/.keep", "")
    }
    try SSHServer.giveAway(hosts)
    // One lock folder for hosts reached as two users (root through the transport program, the
    // SSH login user): root's and sticky, as a folder both may use must be.
    let locks = hosts.appending("locks").path
    guard chown(locks, 0, 0) == 0, chmod(locks, 0o1777) == 0 else {
      throw ChildProcessError(message: "cannot share \(locks): \(String(cString: strerror(errno)))")
    }
    try repo.write(
      "infra.yaml",
      """
      version: 1
      transports:
        probe:
          run: [python3, connectors/probe_transport.py]
          env: { PROBE_DIR: \(probe.path) }
          timeout: 3600
      hosts:
        box: { connect: "probe://\(hosts.path)" }
      \(server.hostYAML("far"))
      locks: { folder: \(hosts.path)/locks }
      prefixes:
        ops:
          connectors:
            - name: files
              options: { root: \(hosts.path)/files }
            - name: notes
              run: [python3, connectors/notes.py]
              env: { PROBE_DIR: \(probe.path) }
              timeout: 3600
              options: { folder: \(hosts.path)/notes }
      """)
    for host in ["box", "far"] {
      try repo.write("resources/ops/files/\(host)/\(host).txt", "a file of \(host)\n")
      try repo.write("resources/ops/notes/\(host)/\(host)-note", "a note of \(host)")
    }
  }

  var events: String { scratch.appending("events.jsonl").path }
  var savedPlan: String { scratch.appending("saved.plan").path }

  /// The arguments of `command`, with its events written to `events`.
  func arguments(_ command: Command) -> [String] {
    switch command {
    case .plan: ["plan", "--events", events]
    case .apply: ["apply", "--yes", "--events", events]
    case .savedApply: ["apply", savedPlan, "--events", events]
    case .pull: ["pull", "resources/ops", "--events", events]
    case .import: ["import", "--connector", "ops/notes", "--events", events]
    case .run: ["run", "--events", events, "box", "far", "--", "echo", "hi"]
    case .unlock: ["unlock", "box", "far", "--events", events]
    }
  }

  /// Gets ready for `command`: an apply of a saved plan needs the plan, saved while every host
  /// could be read.
  func prepare(_ command: Command) async throws {
    guard command == .savedApply else { return }
    let saved = try await Infra.run(["plan", "--out", savedPlan], in: repo.url)
    #expect(saved.code == 0, "\(saved)")
  }

  /// The events `command` wrote, as JSON objects.
  func readEvents() throws -> [[String: Any]] {
    try String(contentsOfFile: events, encoding: .utf8).split(separator: "\n").map { line in
      try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }
  }

  /// The stats `run_end` gives `host`.
  func stats(_ events: [[String: Any]], _ host: String) -> [String: Any]? {
    let end = events.last { $0["event"] as? String == "run_end" }
    return ((end?["data"] as? [String: Any])?["stats"] as? [String: Any])?[host] as? [String: Any]
  }

  /// The pids the transport and connector programs wrote when they started.
  func programPIDs() throws -> [Int32] {
    try FileManager.default.contentsOfDirectory(atPath: probe.path)
      .filter { $0.hasSuffix(".pid") }
      .compactMap { Int32(try probe.readText($0)) }
  }

  /// A transport program that reaches its hosts as the example folder transport does, logs
  /// every command, and, while `hang` exists in PROBE_DIR, hangs in every one.
  static let transport = """
    import os, sys, time
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from folder_transport import FolderTransport
    from infra_connector import main

    probe = Path(os.environ["PROBE_DIR"])
    (probe / f"transport-{os.getpid()}.pid").write_text(str(os.getpid()))

    class Probe(FolderTransport):
        def run(self, command, input, timeout):
            self.log("running a command")
            if (probe / "hang").exists():
                self.log("hanging")
                time.sleep(3600)
            return super().run(command, input, timeout)

    main(transport=Probe)
    """

  /// A connector of notes (a file each, in the `folder` option's folder) that logs its reads
  /// and listings.
  static let notes = """
    import os, shlex, sys, time
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from infra_connector import Connector, Op, Option, main

    Path(os.environ["PROBE_DIR"], f"notes-{os.getpid()}.pid").write_text(str(os.getpid()))

    class Notes(Connector):
        summary = "a note per file"
        options = [Option("folder", "string", "", "where the notes are on the hosts")]
        concurrency = 4

        def path(self, name):
            return shlex.quote(self.settings["folder"] + "/" + name)

        def read(self, host, name, desired):
            self.log(f"reading {name}")
            result = host.run(f"cat {self.path(name)}")
            return result.text if result.exit_code == 0 else None

        def plan(self, host, name, desired, live):
            if desired == live:
                return None
            return Op("create" if live is None else "update", f"write the note {name}", desired)

        def apply(self, host, name, action, payload):
            # While `hold-far` exists, an apply on far says so in `applying-far` and waits.
            probe = Path(os.environ["PROBE_DIR"])
            if host.name == "far" and (probe / "hold-far").exists():
                (probe / "applying-far").write_text("")
                while (probe / "hold-far").exists():
                    time.sleep(0.02)
            host.run(f"cat > {self.path(name)}", input=payload.encode()).check("writing it")

        def list_all(self, host):
            self.log("listing the notes")
            names = host.run(f"ls {shlex.quote(self.settings['folder'])}").check("ls").text
            return {name: host.get(self.settings["folder"] + "/" + name).decode()
                    for name in names.split()}

    main(Notes())
    """
}
