import Foundation
import InfraCore

// The messages that run commands and move files on a host: infra → a transport program
// (`transport/run`, `transport/put`, `transport/get`) and a connector program → infra
// (`host/run`, `host/put`, `host/get`) have the same shapes.

/// Bytes as the protocol carries them: base64 text.
package struct Base64: Codable, Sendable, Hashable {
  package var data: Data

  package init(_ data: Data) {
    self.data = data
  }

  package init(from decoder: any Decoder) throws {
    let text = try decoder.singleValueContainer().decode(String.self)
    guard let data = Data(base64Encoded: text) else {
      throw DecodingError.dataCorrupted(
        .init(codingPath: decoder.codingPath, debugDescription: "is not base64 text"))
    }
    self.data = data
  }

  package func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    try container.encode(data.base64EncodedString())
  }
}

/// A file mode as the protocol writes it: octal text, `"0644"`.
package struct OctalMode: Codable, Sendable, Hashable {
  package var mode: UInt32

  package init(_ mode: UInt32) {
    self.mode = mode
  }

  package init(from decoder: any Decoder) throws {
    let text = try decoder.singleValueContainer().decode(String.self)
    guard let mode = UInt32(text, radix: 8), mode <= 0o7777 else {
      throw DecodingError.dataCorrupted(
        .init(
          codingPath: decoder.codingPath,
          debugDescription:
            "must be an octal mode such as \"0644\", not \(JSONValue.string(text).serialized)"))
    }
    self.mode = mode
  }

  package func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    let digits = String(mode, radix: 8)
    try container.encode(String(repeating: "0", count: max(0, 4 - digits.count)) + digits)
  }
}

/// `{host}`: which host a call is about.
package struct HostParams: Codable, Sendable {
  package var host: String

  package init(host: String) {
    self.host = host
  }
}

/// `transport/connect`.
package struct ConnectParams: Codable, Sendable {
  package var host: String
  /// What follows `name://` in the host's `connect:`.
  package var address: String
  package var data: [String: JSONValue]
}

/// `transport/run` and `host/run`: a shell command, with `input` on its standard input and
/// `timeout` in seconds.
package struct RunParams: Codable, Sendable {
  package var host: String
  package var command: String
  package var input: Base64?
  package var timeout: Int?
}

/// What a command printed and how it ended.
package struct RunAnswer: Codable, Sendable {
  package var exitCode: Int
  package var stdout: Base64
  package var stderr: Base64

  package init(_ result: CommandResult) {
    exitCode = Int(result.exitCode)
    stdout = Base64(result.stdout)
    stderr = Base64(result.stderr)
  }

  package var result: CommandResult {
    CommandResult(exitCode: Int32(clamping: exitCode), stdout: stdout.data, stderr: stderr.data)
  }

  enum CodingKeys: String, CodingKey {
    case exitCode = "exit_code"
    case stdout, stderr
  }
}

/// `transport/put` and `host/put`: a whole file, written atomically.
package struct PutParams: Codable, Sendable {
  package var host: String
  package var path: String
  package var content: Base64
  package var mode: OctalMode?
  package var owner: String?
  package var group: String?

  package var attributes: FileAttributes {
    FileAttributes(mode: mode?.mode, owner: owner, group: group)
  }
}

/// `transport/get` and `host/get`.
package struct GetParams: Codable, Sendable {
  package var host: String
  package var path: String
}

package struct GetAnswer: Codable, Sendable {
  package var content: Base64
}

/// Answers a connector program's `host/run`, `host/run_many`, `host/put` and `host/get`
/// through a host's transport.
package struct HostCalls: Sendable {
  package let transport: any Transport

  package init(transport: any Transport) {
    self.transport = transport
  }

  /// The methods it answers.
  package static let methods: Set<String> = ["host/run", "host/run_many", "host/put", "host/get"]

  package func answer(_ request: IncomingRequest) async throws -> any Encodable & Sendable {
    switch request.method {
    case "host/run":
      let params = try request.params(RunParams.self)
      let result = try await transport.run(
        .raw(params.command), input: params.input?.data,
        timeout: params.timeout.map { .seconds($0) })
      return RunAnswer(result)
    case "host/run_many":
      let params = try request.params(RunManyParams.self)
      let results = try await CommandBatch.run(
        params.commands, stopOnFailure: params.stopOnFailure ?? false,
        timeout: params.timeout.map { .seconds($0) }, through: transport)
      return RunManyAnswer(results: results.map(RunAnswer.init))
    case "host/put":
      let params = try request.params(PutParams.self)
      try await transport.put(params.content.data, at: params.path, attributes: params.attributes)
      return EmptyMessage()
    default:
      let params = try request.params(GetParams.self)
      return GetAnswer(content: Base64(try await transport.get(params.path)))
    }
  }
}
