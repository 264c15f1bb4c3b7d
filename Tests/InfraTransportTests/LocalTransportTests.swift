import Foundation
import InfraCore
import InfraTestSupport
import InfraTransport
import Testing

@Suite struct LocalTransportTests {
  let transport = LocalTransport(host: InventoryHost(name: "local", connection: .local))
  let folder: TemporaryFolder

  init() throws {
    folder = try TemporaryFolder("transport")
  }

  @Test func runKeepsExitCodeStdoutAndStderrApart() async throws {
    let result = try await transport.run(.raw("echo out; echo err >&2; exit 3"))
    #expect(result.exitCode == 3)
    #expect(result.stdoutText == "out\n")
    #expect(result.stderrText == "err\n")
    #expect(!result.succeeded)
  }

  @Test func runFeedsStandardInput() async throws {
    let result = try await transport.run(
      ShellCommand("wc", "-c"), input: Data(repeating: 0x41, count: 300_000), timeout: nil)
    #expect(result.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines) == "300000")
  }

  @Test func scriptsRunFromStandardInput() async throws {
    var script = ShellScript()
    script.append(ShellCommand("printf", "%s|", "a b", "$(x)"))
    script.append(raw: "echo done")
    let result = try await transport.run(script)
    #expect(result.stdoutText == "a b|$(x)|done\n")
  }

  @Test func aTimeoutStopsTheCommandAndEverythingItStarted() async throws {
    let pidFile = folder.appending("child.pid").path
    await #expect(throws: TransportError.self) {
      _ = try await transport.run(
        .raw("sleep 30 & echo $! > \(shellQuote(pidFile)); wait"), input: nil,
        timeout: .milliseconds(500))
    }
    let pid = try #require(
      Int32(try folder.readText("child.pid").trimmingCharacters(in: .whitespacesAndNewlines)))
    // The background `sleep` belonged to the command's process group, which was stopped.
    var running = true
    for _ in 0..<300 where running {
      running = isRunning(pid)
      if running { try await Task.sleep(for: .milliseconds(100)) }
    }
    #expect(!running, "process \(pid) survived the timeout")
  }

  @Test func timeoutErrorsSayWhatTimedOut() async throws {
    do {
      _ = try await transport.run(
        ShellCommand("sleep", "5"), input: nil, timeout: .milliseconds(200))
      Issue.record("expected a timeout")
    } catch let error as TransportError {
      #expect(error == .timedOut(host: "local", command: "sleep 5", after: .milliseconds(200)))
      #expect(
        error.description
          == "command timed out on local after 200ms and was stopped (command: sleep 5)")
    }
  }

  @Test func putWritesContentAndModeAndLeavesNoTemporaryFile() async throws {
    let path = folder.appending("dir/it's a file").path
    try FileManager.default.createDirectory(
      at: folder.appending("dir"), withIntermediateDirectories: true)
    try await transport.put(Data("one\n".utf8), at: path, attributes: FileAttributes(mode: 0o640))
    #expect(try folder.readText("dir/it's a file") == "one\n")
    #expect(try folder.mode("dir/it's a file") == 0o640)
    try await transport.put(Data("two\n".utf8), at: path, attributes: FileAttributes(mode: 0o4755))
    #expect(try folder.readText("dir/it's a file") == "two\n")
    #expect(try folder.mode("dir/it's a file") == 0o4755)
    #expect(folder.files() == ["dir/it's a file"])
  }

  @Test func putSetsOwnerAndGroupByNameOrNumber() async throws {
    let user = try #require(getpwuid(geteuid())).pointee
    let name = String(cString: user.pw_name)
    let group = String(cString: try #require(getgrgid(getegid())).pointee.gr_name)
    let path = folder.appending("owned").path
    try await transport.put(
      Data("x".utf8), at: path, attributes: FileAttributes(owner: name, group: group))
    try await transport.put(
      Data("y".utf8), at: path,
      attributes: FileAttributes(owner: String(geteuid()), group: String(getegid())))
    var info = stat()
    #expect(stat(path, &info) == 0)
    #expect(info.st_uid == geteuid())
    await #expect(throws: TransportError.self) {
      try await transport.put(
        Data("z".utf8), at: path, attributes: FileAttributes(owner: "no-such-user-infra"))
    }
    #expect(folder.files() == ["owned"])
  }

  @Test func aFailedPutLeavesTheTargetAndFolderAsTheyWere() async throws {
    try folder.write("keep", "original\n")
    await #expect(throws: TransportError.self) {
      try await transport.put(
        Data("new".utf8), at: folder.appending("missing-dir/file").path,
        attributes: FileAttributes())
    }
    await #expect(throws: TransportError.self) {
      try await transport.put(
        Data("new".utf8), at: folder.appending("keep").path,
        attributes: FileAttributes(group: "no-such-group-infra"))
    }
    #expect(try folder.readText("keep") == "original\n")
    #expect(folder.files() == ["keep"])
  }

  /// Readers see the old content or the new, never a mix: the rename is the only visible step.
  @Test func putIsAtomicForConcurrentReaders() async throws {
    let path = folder.appending("big").path
    let contents = [Data(repeating: 0x61, count: 1 << 20), Data(repeating: 0x62, count: 1 << 20)]
    try await transport.put(contents[0], at: path, attributes: FileAttributes())
    let writer = Task {
      for round in 0..<40 {
        try await transport.put(contents[round % 2], at: path, attributes: FileAttributes())
      }
    }
    let reader = Task.detached {
      var mixed = 0
      for _ in 0..<200 {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        if !contents.contains(data) { mixed += 1 }
      }
      return mixed
    }
    try await writer.value
    #expect(try await reader.value == 0, "readers saw a half-written file")
    #expect(folder.files() == ["big"])
  }

  @Test func getReadsFilesAndNamesMissingOnes() async throws {
    try folder.write("a b", "content\n")
    #expect(try await transport.get(folder.appending("a b").path) == Data("content\n".utf8))
    await #expect(
      throws: TransportError.notFound(host: "local", path: folder.appending("nope").path)
    ) {
      _ = try await transport.get(folder.appending("nope").path)
    }
    await #expect(throws: TransportError.self) {
      _ = try await transport.get(folder.path)
    }
    await #expect(throws: TransportError.self) {
      _ = try await transport.get("relative/path")
    }
  }

  /// The shell forms used over SSH and sudo take the same steps as the native ones.
  @Test func shellFileCommandsPutAndGetAtomically() async throws {
    let path = folder.appending("via shell/$(x) 'q'").path
    try FileManager.default.createDirectory(
      at: folder.appending("via shell"), withIntermediateDirectories: true)
    let put = FileCommands.put(path, attributes: FileAttributes(mode: 0o600))
    let result = try await transport.run(put, input: Data("secret\n".utf8), timeout: nil)
    #expect(result.succeeded, "\(result.stderrText)")
    #expect(try folder.readText("via shell/$(x) 'q'") == "secret\n")
    #expect(try folder.mode("via shell/$(x) 'q'") == 0o600)
    #expect(folder.files() == ["via shell/$(x) 'q'"])

    let get = try await transport.run(FileCommands.get(path))
    #expect(get.stdoutText == "secret\n")
    #expect(
      try await transport.run(FileCommands.get(path + "x")).exitCode
        == FileCommands.notFoundExitCode)
    #expect(
      try await transport.run(FileCommands.get(folder.path)).exitCode
        == FileCommands.notAFileExitCode)

    let failed = try await transport.run(
      FileCommands.put(folder.appending("no/dir/x").path, attributes: FileAttributes()),
      input: Data("x".utf8), timeout: nil)
    #expect(!failed.succeeded)
  }
}

@Suite struct EarlyExitTests {
  let transport = LocalTransport(host: InventoryHost(name: "local", connection: .local))

  /// A command that exits without reading its input must not take infra down with SIGPIPE, and
  /// its own exit code and error output must come back.
  @Test func aCommandThatIgnoresItsInputStillReportsItsResult() async throws {
    let input = Data(repeating: 0x41, count: 8 << 20)
    let result = try await transport.run(
      .raw("echo refused >&2; exit 7"), input: input, timeout: nil)
    #expect(result.exitCode == 7)
    #expect(result.stderrText == "refused\n")
  }
}
