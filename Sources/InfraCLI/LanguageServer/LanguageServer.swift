import Foundation
import InfraCore
import InfraEngine

/// `infra lsp`: a language server for infra.yaml, `.infra-attrs.yaml` and resource files.
///
/// Diagnostics are `infra validate`'s (external connectors' `validate` included), for the
/// files as the editor has them: open documents are laid over a copy of the repository that
/// is loaded as `infra validate` loads it. Hover, completion and go to definition come from
/// the declarations the loaders check (`ConfigSchema`, each connector type's options) and the
/// hosts and groups of infra.yaml.
final class LanguageServer {
  let connection: LSPConnection
  var root: URL?
  /// Open documents' text by URI.
  var documents: [String: String] = [:]
  /// The URIs diagnostics were last published for, to clear those that have none now.
  var published: Set<String> = []
  /// The connector types of the last load, by connector name (external ones included).
  var connectorTypes: [String: ConnectorTypeInfo] = [:]
  /// infra.yaml as it last could be read, for completing hosts while it is half typed.
  var lastConfig: InfraConfig?
  private var shutdownRequested = false

  init(connection: LSPConnection) {
    self.connection = connection
  }

  /// Serves until `exit`: 0 after a `shutdown`, 1 without one (as the protocol says).
  func run() async -> Int32 {
    for await message in connection.messages() {
      if let code = await handle(message) { return code }
    }
    return shutdownRequested ? 0 : 1
  }

  /// Answers one message; an exit code when it was `exit`.
  func handle(_ message: JSONValue) async -> Int32? {
    guard let object = message.objectValue, let method = object["method"]?.stringValue else {
      return nil
    }
    let id = object["id"]
    let params = object["params"]?.objectValue ?? [:]
    switch method {
    case "initialize":
      initialize(params)
      reply(id, Self.capabilities)
    case "initialized": await validate()
    case "shutdown":
      shutdownRequested = true
      reply(id, .null)
    case "exit": return shutdownRequested ? 0 : 1
    case "textDocument/didOpen", "textDocument/didChange", "textDocument/didClose",
      "textDocument/didSave":
      documentChanged(method, params)
      await validate()
    case "textDocument/hover": reply(id, hover(Position(params)))
    case "textDocument/completion": reply(id, completion(Position(params)))
    case "textDocument/definition": reply(id, definition(Position(params)))
    default:
      if let id {
        connection.send(
          .object([
            "jsonrpc": .string("2.0"), "id": id,
            "error": .object([
              "code": .int(-32601), "message": .string("infra lsp does not serve \(method)"),
            ]),
          ]))
      }
    }
    return nil
  }

  static let capabilities: JSONValue = .object([
    "capabilities": .object([
      "textDocumentSync": .object([
        "openClose": .bool(true), "change": .int(1), "save": .bool(true),
      ]),
      "hoverProvider": .bool(true),
      "definitionProvider": .bool(true),
      "completionProvider": .object([
        "triggerCharacters": .array(["@", " ", ":"].map(JSONValue.string))
      ]),
    ]),
    "serverInfo": .object(["name": .string("infra")]),
  ])

  private func initialize(_ params: [String: JSONValue]) {
    let folder =
      params["rootUri"]?.stringValue.flatMap { URL(string: $0) }
      ?? params["rootPath"]?.stringValue.map { URL(fileURLWithPath: $0) }
      ?? URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
    root = Repository.find(from: folder)?.root
  }

  private func documentChanged(_ method: String, _ params: [String: JSONValue]) {
    let document = params["textDocument"]?.objectValue ?? [:]
    guard let uri = document["uri"]?.stringValue else { return }
    switch method {
    case "textDocument/didOpen": documents[uri] = document["text"]?.stringValue ?? ""
    case "textDocument/didClose": documents[uri] = nil
    case "textDocument/didChange":
      // Full sync: the last change is the whole text.
      if let text = params["contentChanges"]?.arrayValue?.last?.objectValue?["text"]?.stringValue {
        documents[uri] = text
      }
    default: break
    }
  }

  func reply(_ id: JSONValue?, _ result: JSONValue) {
    guard let id else { return }
    connection.send(.object(["jsonrpc": .string("2.0"), "id": id, "result": result]))
  }

  func notify(_ method: String, _ params: JSONValue) {
    connection.send(
      .object(["jsonrpc": .string("2.0"), "method": .string(method), "params": params]))
  }

  /// A position in a document, as requests give it.
  struct Position {
    var uri: String
    var line: Int
    var character: Int

    init(_ params: [String: JSONValue]) {
      uri = params["textDocument"]?.objectValue?["uri"]?.stringValue ?? ""
      let position = params["position"]?.objectValue ?? [:]
      line = position["line"]?.intValue ?? 0
      character = position["character"]?.intValue ?? 0
    }
  }

  /// The repository-relative path of a document, when it is in the repository.
  func relativePath(of uri: String) -> String? {
    guard let root, let url = URL(string: uri), url.isFileURL else { return nil }
    let path = url.standardizedFileURL.path
    let base = root.standardizedFileURL.path + "/"
    return path.hasPrefix(base) ? String(path.dropFirst(base.count)) : nil
  }

  /// The URI of a repository-relative path.
  func uri(of relative: String) -> String {
    (root ?? URL(fileURLWithPath: "/")).appending(path: relative).absoluteString
  }

  /// The text of a document: as the editor has it, or as it is on disk.
  func text(of uri: String) -> String? {
    if let text = documents[uri] { return text }
    return URL(string: uri).flatMap { try? String(contentsOf: $0, encoding: .utf8) }
  }
}
