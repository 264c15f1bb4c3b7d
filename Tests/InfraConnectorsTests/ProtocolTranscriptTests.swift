import Foundation
import InfraCore
import InfraTestSupport
import InfraTransport
import Synchronization
import Testing

@testable import InfraConnectors

/// One whole session of the connector protocol, both ways, between infra's channel and the
/// example crontab connector (the real Python program and SDK), recorded in
/// `Tests/Fixtures/connector-session.txt`: a change to the protocol is reviewed as a diff of
/// it. Re-record with `INFRA_RECORD_GOLDEN=1`.
@Suite struct ProtocolTranscriptTests {
  static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().appending(path: "Fixtures/connector-session.txt")
  static let connectors = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().appending(path: "connectors")

  /// A host as the connector sees it through `host/run`: the login user is `deploy`, and `app`
  /// has no crontab until one is installed.
  static func host(_ request: IncomingRequest) throws -> JSONValue {
    let params = try request.params(JSONValue.self)
    func result(_ code: Int, _ stdout: String = "", _ stderr: String = "") -> JSONValue {
      .object([
        "exit_code": .int(code), "stdout": .string(Data(stdout.utf8).base64EncodedString()),
        "stderr": .string(Data(stderr.utf8).base64EncodedString()),
      ])
    }
    func run(_ command: String?) throws -> JSONValue {
      switch command {
      case "id -un": return result(0, "deploy\n")
      case "crontab -u app -l": return result(1, "", "no crontab for app\n")
      case "crontab -u app -": return result(0)
      default: throw RPC.RemoteError(.failed, "unexpected \(params)")
      }
    }
    if request.method == "host/run_many" {
      let commands = params["commands"]?.arrayValue ?? []
      return .object(["results": .array(try commands.map { try run($0["command"]?.stringValue) })])
    }
    return try run(params["command"]?.stringValue)
  }

  @Test func aFullSessionMatchesTheRecordedTranscript() async throws {
    let lines = Mutex<[String]>([])
    let channel = try ProgramChannel(
      name: "connector 'ops/crontab'", arguments: ["python3", "crontab.py"],
      directory: Self.connectors.path, environment: ["PATH": "/usr/bin:/bin"],
      handler: { request in try Self.host(request) },
      transcript: { toProgram, line in
        lines.withLock { $0.append((toProgram ? "infra → " : "program → ") + line) }
      })
    let timeout = Duration.seconds(30)
    let host: JSONValue = .object([
      "name": .string("web1"), "groups": .array([.string("web"), .string("all")]),
      "data": .object([:]),
    ])
    _ = try await channel.call(
      "initialize",
      JSONValue.object([
        "protocol_version": .int(1), "name": .string("crontab"), "prefix": .string("ops"),
        "options": .object([:]), "hosts": .array([host]), "repository": .string("/repo"),
      ]), as: JSONValue.self, timeout: timeout)
    // Which files are its own: a note in the folder is not.
    let filtered = try await channel.call(
      "filter",
      JSONValue.object([
        "addresses": .array([.string("crontab/@web/app"), .string("crontab/@web/README.md")])
      ]), as: JSONValue.self, timeout: timeout)
    #expect(filtered["owned"] == .array([.string("crontab/@web/app")]))
    func file(_ name: String, _ content: String) -> JSONValue {
      .object([
        "address": .string("crontab/@web/\(name)"),
        "path": .string("resources/ops/crontab/@web/\(name)"), "content": .string(content),
      ])
    }
    let app = file("app", "17 3 * * * /srv/app/bin/nightly\n")
    // What is wrong in them, located: `root` has a line that is no entry.
    let validated = try await channel.call(
      "validate",
      JSONValue.object(["files": .array([app, file("root", "MAILTO=ops\nevery day\n")])]),
      as: JSONValue.self,
      timeout: timeout)
    #expect(validated["diagnostics"]?.arrayValue?.first?["line"] == .int(2))
    let loaded = try await channel.call(
      "load", JSONValue.object(["files": .array([app]), "removed": .array([])]), as: JSONValue.self,
      timeout: timeout)
    let resource = try #require(loaded["resources"]?.arrayValue?.first)
    let item: JSONValue = .object([
      "address": resource["address"] ?? .null, "desired": resource["desired"] ?? .null,
    ])
    let read = try await channel.call(
      "read", JSONValue.object(["host": .string("web1"), "resources": .array([item])]),
      as: JSONValue.self, timeout: timeout)
    let live = try #require(read["states"]?["crontab/@web/app"])
    var planned = item.objectValue ?? [:]
    planned["live"] = live
    let plan = try await channel.call(
      "plan", JSONValue.object(["host": .string("web1"), "items": .array([.object(planned)])]),
      as: JSONValue.self,
      timeout: timeout)
    let op = try #require(plan["ops"]?.arrayValue?.first)
    _ = try await channel.call(
      "apply", JSONValue.object(["host": .string("web1"), "ops": .array([op])]), as: JSONValue.self,
      timeout: timeout)
    #expect(await channel.close() == "exited with code 0")

    let transcript = lines.withLock { $0.joined(separator: "\n") } + "\n"
    if ProcessInfo.processInfo.environment["INFRA_RECORD_GOLDEN"] != nil {
      try transcript.write(to: Self.fixture, atomically: true, encoding: .utf8)
    }
    let recorded = try String(contentsOf: Self.fixture, encoding: .utf8)
    #expect(transcript == recorded, "re-record with INFRA_RECORD_GOLDEN=1 if the change is meant")
  }
}
