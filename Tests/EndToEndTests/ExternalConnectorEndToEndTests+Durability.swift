import Foundation
import InfraTestSupport
import InfraTransport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// Durability as documented, seen by `strace`: every writer syncs a file's content before it
/// renames it into place, and syncs the folder after.
extension ExternalConnectorEndToEndTests {
  enum Writer: String, CaseIterable, CustomTestStringConvertible {
    /// The files connector's batch installer, in Perl and in its POSIX shell fallback; and in
    /// Perl on a host whose `sync` cannot sync one file system (`sync -f`), which then syncs
    /// each staged file by itself.
    case perl, shell, perlWithoutSyncF
    /// A transport's `put` (an external connector's `host/put`): natively on this machine,
    /// through a shell command over SSH.
    case localPut, sshPut
    var testDescription: String { rawValue }
  }

  @Test(arguments: Writer.allCases)
  func everyWriterSyncsTheFileBeforeItsRenameAndTheFolderAfter(_ writer: Writer) async throws {
    let server = writer == .sshPut ? try SSHServer() : nil
    defer { server?.stop() }
    let host =
      try server == nil ? TemporaryFolder("durable-host") : SSHServer.ownedFolder("durable")
    let target = host.appending("app/app.conf").path
    let hostYAML = server?.hostYAML("box") ?? "  box: { connect: local }"
    switch writer {
    case .perl, .shell, .perlWithoutSyncF:
      _ = try repo.write(
        "infra.yaml",
        """
        version: 1
        hosts:
        \(hostYAML)
        locks: { folder: \(root.path)/.infra/locks }
        prefixes:
          ops:
            connectors:
              - name: files
                options: { root: \(host.path), writer: \(writer == .shell ? "shell" : "auto") }
        """)
      _ = try repo.write("resources/ops/files/box/app/app.conf", "port = 8080\n")
    case .localPut, .sshPut:
      _ = try host.write("app/app.conf", "{}")
      if server != nil { try SSHServer.giveAway(host) }
      // A connector whose apply is one `host.put`.
      _ = try repo.write(
        "connectors/putter.py",
        """
        import sys
        from pathlib import Path
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from infra_connector import Connector, Op, main
        class Putter(Connector):
            def read(self, host, name, desired): return None
            def plan(self, host, name, desired, live):
                return Op("create", "put " + desired.strip(), payload=desired.strip())
            def apply(self, host, name, action, payload):
                host.put(payload, b"port = 8080\\n", mode="0644")
        main(Putter())

        """)
      // The lock folder is the SSH login user's, as the folder of the files it writes.
      try config(
        host: hostYAML, connector: "putter", locks: server == nil ? nil : host.path + "/locks")
      _ = try repo.write("resources/ops/putter/box/app", target + "\n")
    }
    let scratch = try TemporaryFolder("durable-trace")
    let trace = scratch.appending("trace").path
    let calls = "trace=fsync,fdatasync,syncfs,rename,renameat,renameat2"
    var code: Int32
    var said = ""
    if let server {
      // The writes happen on the SSH host's side, in the server's children.
      let errors = scratch.appending("strace-errors").path
      let strace = try ChildProcess.start(
        "/usr/bin/strace", ["-f", "-y", "-e", calls, "-o", trace, "-p", String(server.pid)],
        stderr: errors)
      for _ in 0..<1200 where !((try? scratch.readText("strace-errors")) ?? "").contains("attached")
      {
        try await Task.sleep(for: .milliseconds(50))
      }
      let apply = try await Infra.run(["apply", "--yes"], in: root)
      (code, said) = (apply.code, "\(apply)")
      strace.signal(SIGINT)
      _ = await strace.waitForExit()
    } else {
      var environment = Infra.environment(scratch: scratch)
      if writer == .perlWithoutSyncF {
        // A `sync` first in PATH that knows no `-f`, as an old coreutils'.
        _ = try scratch.write("bin/sync", "#!/bin/sh\necho \"sync: invalid option\" >&2\nexit 1\n")
        chmod(scratch.appending("bin/sync").path, 0o755)
        environment["PATH"] = scratch.appending("bin").path + ":" + (environment["PATH"] ?? "")
      }
      code = try ChildProcess.run(
        "/usr/bin/strace",
        ["-f", "-y", "-e", calls, "-o", trace, Infra.binary.path, "apply", "--yes"],
        directory: root.path, environment: environment)
    }
    #expect(code == 0, "\(said)")
    let lines = try scratch.readText("trace").split(separator: "\n").map(String.init)
    let folder = FileCommands.parentFolder(of: target)
    // The rename of a temporary file over the target, and the temporary file's name.
    let renamed = lines.firstIndex { $0.contains("rename") && $0.contains("\"\(target)\"") }
    let index = try #require(renamed, "no rename over \(target):\n\(lines.joined(separator: "\n"))")
    let temporary = try #require(
      lines[index].split(separator: "\"").map(String.init).first { $0.contains("/.infra-") })
    // By itself, or (the Perl writer) with the rest of its group: one `sync -f` of a file of
    // the group syncs their file system.
    #expect(
      lines[..<index].contains {
        ($0.contains("sync(") && $0.contains("<\(temporary)>"))
          || ($0.contains("syncfs(") && $0.contains("<\(folder)/.infra-tmp-"))
      }, "the file is synced before its rename:\n\(lines.joined(separator: "\n"))")
    if writer == .perlWithoutSyncF {
      #expect(
        lines[..<index].contains { $0.contains("fsync(") && $0.contains("<\(temporary)>") },
        "without `sync -f`, the file is synced by itself:\n\(lines.joined(separator: "\n"))")
    }
    #expect(
      lines[(index + 1)...].contains { $0.contains("sync(") && $0.contains("<\(folder)>") },
      "its folder is synced after:\n\(lines.joined(separator: "\n"))")
  }
}
