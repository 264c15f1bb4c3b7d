import Foundation
import InfraTestSupport
import Testing

/// A connector written by someone else cannot hang infra, exhaust its memory, drown its events
/// or change a host during a plan: each attempt ends in an error that names the connector, the
/// call and what it did, in bounded processor time and memory.
@Suite struct HostileConnectorEndToEndTests {
  let repo: TemporaryFolder
  var root: URL { repo.url }

  /// A connector without the SDK, whose `read` misbehaves as the file `mode` says: `huge MiB`
  /// answers with a line of that many MiB, `flood LINES` logs that many lines first, `put PATH`
  /// calls `host/put` to write PATH.
  static let program = """
    import base64, json, sys
    MODE = open("mode").read().split()
    def send(message):
        sys.stdout.write(json.dumps(message) + "\\n")
        sys.stdout.flush()
    def answer(message, result):
        send({"jsonrpc": "2.0", "id": message["id"], "result": result})
    STATES = {"states": {"hostile/box/x": {"state": "old", "fingerprint": "f"}}}
    for line in sys.stdin:
        message = json.loads(line)
        method = message.get("method")
        if method == "initialize":
            answer(message, {"protocol_version": 1, "offers": ["resources"]})
        elif method == "load":
            answer(message, {"resources": [
                {"address": "hostile/box/x", "host": "box", "desired": "wanted"}]})
        elif method == "read" and MODE[0] == "huge":
            sys.stdout.write('{"jsonrpc": "2.0", "id": %d, "result": {"states": {"hostile/box/x": '
                             '{"state": "old", "fingerprint": "f", "padding": "' % message["id"])
            for _ in range(int(MODE[1])):
                sys.stdout.write("x" * (1 << 20))
            sys.stdout.write('"}}}}\\n')
            sys.stdout.flush()
        elif method == "read":
            if MODE[0] == "flood":
                for number in range(int(MODE[1])):
                    sys.stdout.write(json.dumps({"jsonrpc": "2.0", "method": "log", "params": {
                        "level": "info", "message": "line %d" % number}}) + "\\n")
                sys.stdout.flush()
            if MODE[0] == "put":
                send({"jsonrpc": "2.0", "id": "c1", "method": "host/put", "params": {
                    "host": "box", "path": MODE[1], "mode": "0644",
                    "content": base64.b64encode(b"planted\\n").decode()}})
                reply = json.loads(sys.stdin.readline())
                sys.stderr.write("host/put answered %s\\n" % json.dumps(reply))
            answer(message, STATES)
        elif method == "plan":
            answer(message, {"ops": [
                {"address": "hostile/box/x", "action": "update", "payload": "wanted"}]})
        elif method == "shutdown":
            answer(message, {})
            break
        else:
            send({"jsonrpc": "2.0", "id": message["id"],
                  "error": {"code": -32601, "message": "no " + method}})
    """

  init() throws {
    repo = try TemporaryFolder("hostile-connector")
    _ = try repo.write("connectors/hostile.py", Self.program)
    _ = try repo.write("resources/ops/hostile/box/x", "wanted\n")
    try config()
  }

  func config(entry: String = "") throws {
    _ = try repo.write(
      "infra.yaml",
      """
      version: 1
      hosts:
        box: { connect: local }
      locks: { folder: \(root.path)/.infra/locks }
      prefixes:
        ops:
          connectors:
            - name: hostile
              run: [python3, connectors/hostile.py]
      \(entry)
      """)
  }

  @Test func anAnswerOverTheMessageLimitEndsTheCallAndNamesTheLimit() async throws {
    try config(entry: "        max_message_bytes: 4194304")
    _ = try repo.write("mode", "huge 8")
    let (run, usage) = try await Infra.measured(["plan"], in: root)
    #expect(run.code == 1, "\(run)")
    #expect(
      run.stdout.contains(
        "ops/hostile on box: connector 'ops/hostile' failed in 'read': it sent a message of more than 4,194,304 bytes, the most infra reads from it (`max_message_bytes:` of its entry in infra.yaml)"
      ), "\(run)")
    #expect(usage.isSmall, "\(usage)")
  }

  /// Under the limit, a long line costs its length: the framing looks at each byte once.
  @Test func aLongAnswerUnderTheLimitIsReadInTimeLinearInItsLength() async throws {
    _ = try repo.write("mode", "huge 20")
    let (run, usage) = try await Infra.measured(["plan"], in: root)
    #expect(run.code == 0, "\(run.description.prefix(3000))")
    #expect(run.stdout.contains("Plan: 0 to create, 1 to update"), "\(run.stdout.prefix(3000))")
    // Quadratic framing took 102 s of it for 20 MB.
    #expect(usage.cpuSeconds < 10, "\(usage.cpuSeconds) s of CPU")
  }

  @Test func aFloodOfLogLinesIsCappedAndTheRestCountedInOneEvent() async throws {
    _ = try repo.write("mode", "flood 10000")
    let events = root.appending(path: "events.jsonl").path
    let (run, usage) = try await Infra.measured(["plan", "--events", events], in: root)
    #expect(run.code == 0, "\(run.description.prefix(3000))")
    let logs = try String(contentsOfFile: events, encoding: .utf8).split(separator: "\n")
      .filter { $0.contains("\"connector_log\"") }
    #expect(logs.count == 1_001, "\(logs.count) connector_log events")
    #expect(
      logs.last?.contains(
        "9,000 log lines dropped: connector 'ops/hostile' logged more than 1,000 lines or 1 MiB in one 'read' call"
      ) == true, "\(logs.last ?? "")")
    let kept = try FileManager.default.attributesOfItem(atPath: events)[.size] as? Int ?? 0
    #expect(kept < 1_000_000, "events.jsonl is \(kept) bytes")
    #expect(usage.isSmall, "\(usage)")
  }

  @Test func aPutDuringAPlanIsRefusedAndFailsTheRead() async throws {
    let planted = root.appending(path: "planted").path
    _ = try repo.write("mode", "put \(planted)")
    for command in [["plan"], ["apply", "--yes"]] {
      let (run, usage) = try await Infra.measured(command, in: root)
      #expect(run.code == 1, "\(command): \(run)")
      #expect(
        run.stdout.contains(
          "ops/hostile on box: connector 'ops/hostile' failed in 'read': it called 'host/put' to write \"\(planted)\" on box during 'read', and infra refused: only 'apply' may change a host"
        ), "\(command): \(run)")
      #expect(!FileManager.default.fileExists(atPath: planted), "\(command) wrote the file")
      #expect(usage.isSmall, "\(usage)")
    }
  }
}
