import Foundation
import InfraCore
import InfraTestSupport
import InfraTransport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// The JSON-RPC channel against real Python programs, well-behaved and not: every failure ends
/// in seconds with an error naming the connector and the call, and the process is reaped.
@Suite struct ProgramChannelTests {
  let folder: TemporaryFolder

  init() throws {
    folder = try TemporaryFolder("channel")
  }

  /// A connector program: `body` runs for each request line, with `message` parsed and
  /// `send(obj)` writing one line back.
  func program(_ body: String) throws -> ProgramChannel {
    let script = """
      import json, sys
      def send(obj):
          sys.stdout.write(json.dumps(obj) + "\\n")
          sys.stdout.flush()
      def answer(message, result):
          send({"jsonrpc": "2.0", "id": message["id"], "result": result})
      for line in sys.stdin:
          message = json.loads(line)
      \(body.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }.joined(separator: "\n"))
      """
    try folder.write("connector.py", script)
    return try ProgramChannel(
      name: "connector 'test'", arguments: ["python3", "connector.py"], directory: folder.path,
      environment: ["PATH": "/usr/bin:/bin"],
      handler: { request in
        guard request.method == "host/run" else {
          throw RPC.RemoteError(.methodNotFound, "unknown method \(request.method)")
        }
        return JSONValue.object(["echo": try request.params(JSONValue.self)["command"] ?? .null])
      })
  }

  func failure(of work: () async throws -> Void) async -> String {
    do {
      try await work()
      return "no error"
    } catch {
      return "\(error)"
    }
  }

  @Test func callsAnswersCallbacksAndAPoliteShutdown() async throws {
    let channel = try program(
      """
      if message["method"] == "shutdown":
          answer(message, {})
          break
      if message["method"] == "read":
          send({"jsonrpc": "2.0", "id": "cb-1", "method": "host/run", "params": {"command": "uname"}})
          reply = json.loads(sys.stdin.readline())
          send({"jsonrpc": "2.0", "method": "log", "params": {"message": "reading"}})
          answer(message, {"asked": message["params"], "host_said": reply["result"]})
      else:
          send({"jsonrpc": "2.0", "id": message["id"], "error": {"code": -32601, "message": "no " + message["method"], "data": {"hint": "try read"}}})
      """)
    let result = try await channel.call(
      "read", JSONValue.object(["host": .string("web1")]), as: JSONValue.self, timeout: .seconds(20)
    )
    #expect(result["asked"] == .object(["host": .string("web1")]))
    #expect(result["host_said"] == .object(["echo": .string("uname")]))
    await #expect(
      throws: RPC.RemoteError(.methodNotFound, "no plan", hint: "try read")
    ) {
      _ = try await channel.call(
        "plan", JSONValue.object([:]), as: JSONValue.self, timeout: .seconds(20))
    }
    #expect(await channel.close() == "exited with code 0")
  }

  /// The program answers `meet` only once a second `meet` has arrived: both calls end only if
  /// infra has them in flight at once, which it does as far as the program's allowance goes.
  @Test func callsGoInFlightTogetherAsFarAsTheProgramAllows() async throws {
    func meeting() throws -> ProgramChannel {
      try program(
        """
        if message["method"] == "shutdown":
            answer(message, {})
            break
        waiting = globals().setdefault("waiting", [])
        waiting.append(message)
        if len(waiting) == 2:
            for each in waiting:
                answer(each, {"met": len(waiting)})
            waiting.clear()
        """)
    }
    func meetTwice(_ channel: ProgramChannel, timeout: Duration) async -> [String] {
      await withTaskGroup(of: String.self) { group in
        for _ in 0..<2 {
          group.addTask {
            do {
              return try await channel.call(
                "meet", JSONValue.object([:]), as: JSONValue.self, timeout: timeout
              )
              .serialized
            } catch {
              return "\(error)"
            }
          }
        }
        return await group.reduce(into: []) { $0.append($1) }
      }
    }

    let two = try meeting()
    await two.allow(concurrency: 2)
    #expect(await meetTwice(two, timeout: .seconds(30)) == [#"{"met":2}"#, #"{"met":2}"#])
    #expect(await two.close() == "exited with code 0")

    // One at a time (what a program that says nothing gets): the first call waits alone for
    // its partner, which infra holds back, until the timeout ends the conversation.
    let one = try meeting()
    let results = await meetTwice(one, timeout: .seconds(2))
    #expect(results.allSatisfy { $0.contains("connector 'test' failed in 'meet'") }, "\(results)")
    #expect(results.contains { $0.contains("it did not answer 'meet' within 2 s") })
    await one.close(grace: .seconds(1))
  }

  @Test func aCrashInTheMiddleOfACallNamesTheCallAndShowsStandardError() async throws {
    let channel = try program(
      """
      sys.stderr.write("Traceback: KeyError 'hosts'\\n")
      sys.exit(3)
      """)
    let message = await failure {
      _ = try await channel.call(
        "read", JSONValue.object([:]), as: JSONValue.self, timeout: .seconds(20))
    }
    #expect(
      message.hasPrefix("connector 'test' failed in 'read': it exited with code 3"), "\(message)")
    #expect(message.contains("Traceback: KeyError 'hosts'"))
    #expect(await channel.close() == "exited with code 3")
  }

  @Test func garbageOnStandardOutputIsAProtocolError() async throws {
    let channel = try program(#"print("hello, I am not JSON", flush=True)"#)
    let message = await failure {
      _ = try await channel.call(
        "read", JSONValue.object([:]), as: JSONValue.self, timeout: .seconds(20))
    }
    #expect(
      message
        == "connector 'test' failed in 'read': it printed a line that is not a JSON-RPC 2.0 message: hello, I am not JSON"
    )
    #expect(await channel.close() == "was killed by signal 9")
  }

  @Test func anAnswerToACallNeverMadeIsAProtocolError() async throws {
    let channel = try program(#"send({"jsonrpc": "2.0", "id": 999, "result": {}})"#)
    let message = await failure {
      _ = try await channel.call(
        "read", JSONValue.object([:]), as: JSONValue.self, timeout: .seconds(20))
    }
    #expect(
      message.contains("it answered id 999, which infra never asked or had already answered"),
      "\(message)")
    await channel.close()
  }

  @Test func aConnectorThatHangsTimesOutAndIsStopped() async throws {
    let channel = try program("import time; time.sleep(3600)")
    let message = await failure {
      _ = try await channel.call(
        "read", JSONValue.object([:]), as: JSONValue.self, timeout: .seconds(1))
    }
    #expect(message == "connector 'test' failed in 'read': it did not answer 'read' within 1 s")
    #expect(await channel.close() == "was killed by signal 9")
    // Later calls fail at once with the same reason.
    let later = await failure {
      _ = try await channel.call(
        "plan", JSONValue.object([:]), as: JSONValue.self, timeout: .seconds(20))
    }
    #expect(later.contains("it did not answer 'read' within 1 s"))
  }

  @Test func aConnectorThatExitsEarlyOrCannotStart() async throws {
    try folder.write("early.py", "import sys; sys.exit(0)\n")
    let early = try ProgramChannel(
      name: "connector 'early'", arguments: ["python3", "early.py"], directory: folder.path,
      environment: ["PATH": "/usr/bin:/bin"], handler: { _ in JSONValue.null })
    let message = await failure {
      _ = try await early.call(
        "initialize", JSONValue.object([:]), as: JSONValue.self, timeout: .seconds(20))
    }
    #expect(message.hasPrefix("connector 'early' failed in 'initialize': it"), "\(message)")
    #expect(await early.close() == "exited with code 0")

    let missing = try ProgramChannel(
      name: "connector 'missing'", arguments: ["./no-such-program"], directory: folder.path,
      environment: ["PATH": "/usr/bin:/bin"], handler: { _ in JSONValue.null })
    let notFound = await failure {
      _ = try await missing.call(
        "initialize", JSONValue.object([:]), as: JSONValue.self, timeout: .seconds(20))
    }
    #expect(notFound.contains("it exited with code 127"), "\(notFound)")
    #expect(notFound.contains("no-such-program"))
    #expect(await missing.close() == "exited with code 127")
  }
}
