import Foundation
import InfraTestSupport
import InfraTransport
import Testing

/// A connector's answers are read field by field: one that lacks a field, has one of the wrong
/// type, or names a resource outside its folder fails the call, naming the connector, the call
/// and the field, and is never read as something it did not say.
extension ExternalConnectorEndToEndTests {
  /// A program that answers well, except for the one answer `mistake` spoils.
  static func sloppy(_ mistake: String) -> String {
    """
    import json, sys
    MISTAKE = \(JSONEncoder.string(mistake))
    def answer(message, result):
        print(json.dumps({"jsonrpc": "2.0", "id": message["id"], "result": result}), flush=True)
    for line in sys.stdin:
        message = json.loads(line)
        method = message["method"]
        if method == "initialize":
            answer(message, {"protocol_version": 1, "offers": ["resources"]})
        elif method == "load":
            resource = {"address": "sloppy/box/x", "host": "box", "desired": "wanted"}
            if MISTAKE == "load":
                del resource["host"]
            answer(message, {"resources": [resource]})
        elif method == "read":
            state = {"state": "old", "fingerprint": "f"}
            if MISTAKE == "read":
                del state["state"]
            answer(message, {"states": {"sloppy/box/x": state}})
        elif method == "plan":
            op = {"address": "sloppy/box/x", "action": "update", "payload": "wanted"}
            if MISTAKE == "action":
                op["action"] = "crate"
            if MISTAKE == "address":
                op["address"] = "files/box/x"
            answer(message, {"ops": [op]})
        elif method == "shutdown":
            answer(message, {})
            break
        else:
            print(json.dumps({"jsonrpc": "2.0", "id": message["id"],
                              "error": {"code": -32601, "message": "no " + method}}), flush=True)
    """
  }

  @Test(arguments: [
    (
      "action",
      "ops/sloppy on box: connector 'ops/sloppy' failed in 'plan': its answer does not have the shape 'plan' answers have: 'ops[0].action' must be one of create, update, delete, not \"crate\""
    ),
    (
      "address",
      "ops/sloppy on box: connector 'ops/sloppy' failed in 'plan': 'ops[0].address' is \"files/box/x\", which is not a resource in its folder 'sloppy/'"
    ),
    (
      "read",
      "ops/sloppy on box: connector 'ops/sloppy' failed in 'read': its answer does not have the shape 'read' answers have: 'states[\"sloppy/box/x\"].state' is missing"
    ),
    (
      "load",
      "resources/ops/sloppy/: error: connector 'ops/sloppy' failed in 'load': its answer does not have the shape 'load' answers have: 'resources[0].host' is missing"
    ),
  ])
  func anAnswerWithoutAFieldNamesItAndTheCall(_ mistake: String, _ said: String) async throws {
    _ = try repo.write("connectors/sloppy.py", Self.sloppy(mistake))
    try config(connector: "sloppy")
    _ = try repo.write("resources/ops/sloppy/box/x", "wanted\n")
    let plan = try await Infra.run(["plan"], in: root)
    #expect(plan.code == 1, "\(plan)")
    #expect((plan.stdout + plan.stderr).contains(said), "\(plan)")
  }
}

extension JSONEncoder {
  /// `text` as a JSON (and Python) string literal.
  static func string(_ text: String) -> String {
    String(decoding: (try? JSONEncoder().encode(text)) ?? Data(), as: UTF8.self)
  }
}
