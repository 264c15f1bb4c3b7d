import Foundation
import InfraCore

/// JSON-RPC 2.0 as the connector protocol speaks it (`connectors/PROTOCOL.md`): the error
/// codes, named once, the shapes of messages, and how a message that does not have the shape
/// its method needs is described to people.
package enum RPC {
  /// The error codes of JSON-RPC 2.0 that the protocol uses.
  package enum Code: Int, Sendable {
    case parseError = -32700
    case invalidRequest = -32600
    /// An optional method the program does not offer, or a method infra does not have.
    case methodNotFound = -32601
    case invalidParams = -32602
    /// The operation failed; the message is for people.
    case failed = -32000
  }

  /// A request's id: infra's are integers from 1, a program's may be strings.
  package enum ID: Hashable, Sendable, Codable, CustomStringConvertible {
    case number(Int)
    case text(String)

    package init(from decoder: any Decoder) throws {
      let container = try decoder.singleValueContainer()
      if let number = try? container.decode(Int.self) {
        self = .number(number)
      } else {
        self = .text(try container.decode(String.self))
      }
    }

    package func encode(to encoder: any Encoder) throws {
      var container = encoder.singleValueContainer()
      switch self {
      case .number(let number): try container.encode(number)
      case .text(let text): try container.encode(text)
      }
    }

    package var description: String {
      switch self {
      case .number(let number): String(number)
      case .text(let text): "'\(text)'"
      }
    }
  }

  /// An error one side answered with: `code`, `message` for people, `data.hint` optional.
  package struct RemoteError: Error, Hashable, Sendable, Codable, CustomStringConvertible {
    package var code: Int
    package var message: String
    package var data: Details?

    package struct Details: Hashable, Sendable, Codable {
      package var hint: String?
    }

    package init(_ code: Code, _ message: String, hint: String? = nil) {
      self.code = code.rawValue
      self.message = message
      data = hint.map { Details(hint: $0) }
    }

    package var hint: String? { data?.hint }
    package var description: String { message }
    package func `is`(_ code: Code) -> Bool { self.code == code.rawValue }
  }

  /// A request or notification to send: `{"id", "jsonrpc", "method", "params"}`.
  struct Request<Params: Encodable>: Encodable {
    var id: ID?
    var jsonrpc = "2.0"
    var method: String
    var params: Params
  }

  /// An answer to send back to the program.
  struct Answer: Encodable {
    var id: ID
    var jsonrpc = "2.0"
    var result: AnyEncodable?
    var error: RemoteError?
  }

  /// What every received line is first read as, to route it: the fields that say whether it
  /// is an answer (and to which call) or a request, without reading its result.
  struct Header: Decodable {
    var jsonrpc: String?
    var id: ID?
    var method: String?
    var hasResult: Bool
    var error: RemoteError?

    enum CodingKeys: String, CodingKey {
      case jsonrpc, id, method, result, error
    }

    init(from decoder: any Decoder) throws {
      let container = try decoder.container(keyedBy: CodingKeys.self)
      jsonrpc = try? container.decodeIfPresent(String.self, forKey: .jsonrpc)
      id = try? container.decodeIfPresent(ID.self, forKey: .id)
      method = try? container.decodeIfPresent(String.self, forKey: .method)
      hasResult = container.contains(.result)
      error = try? container.decodeIfPresent(RemoteError.self, forKey: .error)
    }
  }

  /// The result of an answer, read as the call expects it.
  struct Result<Value: Decodable>: Decodable {
    var result: Value
  }

  /// The result of the answer `line`, read as `Value`: what a call returns.
  package static func result<Value: Decodable>(of line: Data, as type: Value.Type) throws
    -> Value
  {
    try JSONDecoder().decode(Result<Value>.self, from: line).result
  }

  /// The params of a request, read as the method expects them; `{}` when it sent none.
  struct Params<Value: Decodable>: Decodable {
    var params: Value?
  }

  /// Encodes every message the same way, so that a session reads the same in any run:
  /// compact, keys sorted, slashes kept.
  static let encoder: JSONEncoder = {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return encoder
  }()

  /// What is wrong with a message whose decoding failed, for people: which field of its
  /// `within` part (`result`, `params`) is missing, null or of the wrong type
  /// (`'ops[2].action' is missing`).
  package static func describe(_ error: any Error, within part: String) -> String {
    guard let error = error as? DecodingError else { return "\(error)" }
    func path(_ keys: [any CodingKey]) -> String {
      RPC.path(keys.first?.stringValue == part ? Array(keys.dropFirst()) : keys)
    }
    switch error {
    case .keyNotFound(let key, let context):
      return "\(path(context.codingPath + [key])) is missing"
    case .valueNotFound(let type, let context):
      return "\(path(context.codingPath)) is null, where \(describe(type)) is needed"
    case .typeMismatch(let type, let context):
      return "\(path(context.codingPath)) is not \(describe(type))"
    case .dataCorrupted(let context):
      let place = context.codingPath.isEmpty ? "it" : path(context.codingPath)
      return "\(place) \(context.debugDescription)"
    @unknown default:
      return "\(error)"
    }
  }

  /// `'ops[2].action'`, `'states["crontab/web1/app"].state'`.
  static func path(_ keys: [any CodingKey]) -> String {
    var text = ""
    for key in keys {
      if let index = key.intValue {
        text += "[\(index)]"
      } else if key.stringValue.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) {
        text += (text.isEmpty ? "" : ".") + key.stringValue
      } else {
        text += "[\(JSONValue.string(key.stringValue).serialized)]"
      }
    }
    return "'\(text.isEmpty ? "the message" : text)'"
  }

  private static func describe(_ type: Any.Type) -> String {
    switch type {
    case is String.Type: "a string"
    case is Int.Type, is Int32.Type, is Int64.Type: "an integer"
    case is Double.Type: "a number"
    case is Bool.Type: "true or false"
    default:
      "\(type)".hasPrefix("Array")
        ? "a list" : "\(type)".hasPrefix("Dictionary") ? "a mapping" : "an object"
    }
  }
}

/// Any encodable value, to put into an answer whose result type only the handler knows.
package struct AnyEncodable: Encodable, Sendable {
  let value: any Encodable & Sendable

  package init(_ value: any Encodable & Sendable) {
    self.value = value
  }

  package func encode(to encoder: any Encoder) throws {
    try value.encode(to: encoder)
  }
}

/// A value the protocol sends as text in a closed set (`create`, `update`, `delete`), read with
/// an error that lists what it may be.
package protocol ProtocolEnum: RawRepresentable, CaseIterable, Decodable
where RawValue == String {}

extension ProtocolEnum {
  package init(from decoder: any Decoder) throws {
    let container = try decoder.singleValueContainer()
    let text = try container.decode(String.self)
    guard let value = Self(rawValue: text) else {
      let names = Self.allCases.map(\.rawValue).joined(separator: ", ")
      throw DecodingError.dataCorrupted(
        .init(
          codingPath: decoder.codingPath,
          debugDescription: "must be one of \(names), not \(JSONValue.string(text).serialized)"))
    }
    self = value
  }
}
