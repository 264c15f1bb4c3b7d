import Foundation

/// One run of `infra lsp` fed a list of messages, and what it answered.
struct LSPSession {
  var code: Int32
  var messages: [[String: Any]]

  /// Sends `messages` (each given `"jsonrpc": "2.0"`) as one input and reads every answer.
  static func run(_ messages: [[String: Any]], in folder: URL) async throws -> LSPSession {
    var input = ""
    for var message in messages {
      message["jsonrpc"] = "2.0"
      let body = String(
        decoding: try JSONSerialization.data(withJSONObject: message), as: UTF8.self)
      input += "Content-Length: \(body.utf8.count)\r\n\r\n" + body
    }
    let run = try await Infra.run(["lsp"], in: folder, input: input)
    var answers: [[String: Any]] = []
    var rest = Substring(run.stdout)
    while let header = rest.range(of: "\r\n\r\n") {
      let length =
        Int(
          rest[..<header.lowerBound].split(separator: ":").last?
            .trimmingCharacters(in: .whitespaces) ?? "") ?? 0
      let bytes = Array(rest[header.upperBound...].utf8.prefix(length))
      if let object = try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] {
        answers.append(object)
      }
      rest = Substring(
        String(decoding: rest[header.upperBound...].utf8.dropFirst(length), as: UTF8.self))
    }
    return LSPSession(code: run.code, messages: answers)
  }

  func answer(_ id: Int) -> [String: Any]? {
    messages.first { $0["id"] as? Int == id }
  }

  func result(_ id: Int) -> [String: Any]? { answer(id)?["result"] as? [String: Any] }

  func error(_ id: Int) -> Int? { (answer(id)?["error"] as? [String: Any])?["code"] as? Int }

  func labels(_ id: Int) -> [String] {
    (answer(id)?["result"] as? [[String: Any]] ?? []).compactMap { $0["label"] as? String }
  }

  func hover(_ id: Int) -> String? {
    (result(id)?["contents"] as? [String: Any])?["value"] as? String
  }

  func notifications(_ method: String) -> [[String: Any]] {
    messages.filter { $0["method"] as? String == method }.compactMap {
      $0["params"] as? [String: Any]
    }
  }

  /// `[line, character]` of a range's start (a diagnostic's, a location's).
  static func start(of object: [String: Any]) -> [Int] {
    let start = (object["range"] as? [String: Any])?["start"] as? [String: Any]
    return [start?["line"] as? Int ?? -1, start?["character"] as? Int ?? -1]
  }
}
