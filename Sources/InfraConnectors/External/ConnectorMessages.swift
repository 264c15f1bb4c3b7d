import Foundation
import InfraCore
import InfraEngine
import InfraTransport

// The connector protocol's calls, one params and one answer type per method
// (`connectors/PROTOCOL.md`). Addresses are relative to the prefix (`crontab/web1/app`). A
// field an answer lacks, or has with the wrong type, fails the call with an error that names
// the connector, the call and the field; optional fields are optional here.

/// The `initialize` answer of a connector.
struct ConnectorGreeting: Greeting {
  var protocolVersion: Int
  var offers: [String]?
  var concurrency: JSONValue?
  var summary: String?
  var layout: String?
  var options: [OptionDeclaration]?
  var hostData: [OptionDeclaration]?

  enum CodingKeys: String, CodingKey {
    case protocolVersion = "protocol_version"
    case offers, concurrency, summary, layout, options
    case hostData = "host_data"
  }
}

/// A setting a connector declares: `{name, type, default, description}`.
struct OptionDeclaration: Decodable {
  enum TypeName: String, ProtocolEnum {
    case string, integer, boolean, list, mapping
  }

  var name: String
  var type: TypeName
  var `default`: JSONValue?
  var description: String?

  var spec: OptionSpec {
    let type = OptionSpec.ValueType(rawValue: type.rawValue) ?? .string
    return OptionSpec(name, type, default: self.default, description ?? "")
  }
}

/// A resource file as a connector reads it: `{address, path, content}`.
struct FileMessage: Encodable {
  var address: String
  /// Relative to the repository root.
  var path: String
  var content: String
  /// `true` for a decrypted `.age` file; absent otherwise.
  var sensitive: Bool?
}

struct FilterParams: Encodable {
  var addresses: [String]
}

struct FilterAnswer: Decodable {
  var owned: [String]
  var reasons: [String: String]?
}

struct FilesParams: Encodable {
  var files: [FileMessage]
}

struct LoadParams: Encodable {
  var files: [FileMessage]
  var removed: [FileMessage]
}

/// A problem a connector found in a file, located where it can be.
struct DiagnosticMessage: Decodable {
  enum Severity: String, ProtocolEnum {
    case error, warning
  }

  var severity: Severity?
  var message: String
  var file: String?
  var line: Int?
  var column: Int?
  var hint: String?

  var diagnostic: Diagnostic {
    let location = file.map { SourceLocation(file: $0, line: line, column: column) }
    return Diagnostic(severity == .warning ? .warning : .error, message, at: location, hint: hint)
  }
}

struct ValidateAnswer: Decodable {
  var diagnostics: [DiagnosticMessage]?
}

struct LoadAnswer: Decodable {
  var resources: [DeclaredResource]
  var diagnostics: [DiagnosticMessage]?
}

/// A resource a connector's files declare for one host.
struct DeclaredResource: Decodable {
  var address: String
  var host: String
  var desired: JSONValue
  var sources: [String]?
  var notes: [String]?
  var removed: Bool?
  var sensitive: Bool?
  /// Dotted paths into `desired` whose values are secrets, to be masked.
  var sensitiveFields: [String]?

  enum CodingKeys: String, CodingKey {
    case address, host, desired, sources, notes, removed, sensitive
    case sensitiveFields = "sensitive_fields"
  }
}

/// `secret`: values a connector registers, to be masked in every output.
struct SecretParams: Decodable {
  var values: [String]
}

/// A resource as `read` and `plan` send it: `{address, desired}`, and its live state for `plan`.
struct ResourceMessage: Encodable {
  var address: String
  var desired: JSONValue
  var live: LiveMessage?
}

extension ResourceMessage {
  /// A resource and its live state, as `plan` and `pull` send them.
  init(item: PlanItem) {
    self.init(
      address: item.resource.address.path, desired: item.resource.desired,
      live: LiveMessage(state: item.live.state, fingerprint: item.live.fingerprint))
  }
}

/// A resource's live state: `{state, fingerprint}`; `state` is `null` when it does not exist.
struct LiveMessage: Codable {
  var state: JSONValue
  var fingerprint: String?
}

struct ReadParams: Encodable {
  var host: String
  var resources: [ResourceMessage]
}

struct ReadAnswer: Decodable {
  var states: [String: LiveMessage]
}

struct PlanParams: Encodable {
  var host: String
  var items: [ResourceMessage]
}

struct PlanAnswer: Decodable {
  var ops: [OpMessage]?
  var problems: [ProblemMessage]?
}

/// An op a connector plans, and sends back to apply it.
struct OpMessage: Codable {
  enum ActionName: String, ProtocolEnum, Encodable {
    case create, update, delete
  }

  var address: String
  var action: ActionName
  var message: String?
  var details: [String]?
  var diff: String?
  var payload: JSONValue?
  var sensitive: Bool?
}

struct ProblemMessage: Decodable {
  var address: String
  var message: String
}

struct ApplyParams: Encodable {
  var host: String
  var ops: [OpMessage]
}

struct ApplyAnswer: Decodable {
  var outcomes: [OutcomeMessage]
}

struct OutcomeMessage: Decodable {
  enum Status: String, ProtocolEnum {
    case applied, failed
  }

  var address: String
  var status: Status
  var error: String?
}

struct ListAnswer: Decodable {
  var resources: [ListedMessage]
}

/// A resource file `list` says would declare what a host has.
struct ListedMessage: Decodable {
  var address: String
  var content: String
  var sensitive: Bool?
}

struct InventoryListParams: Encodable {
  var names: [String]?
}

struct InventoryListAnswer: Decodable {
  var hosts: [YieldedHost]
}

/// A host an inventory yields: its name, and settings read as infra.yaml's `hosts:` reads them.
struct YieldedHost: Decodable {
  var name: String
  var settings: [String: JSONValue]

  enum CodingKeys: String, CodingKey {
    case name
  }

  init(from decoder: any Decoder) throws {
    name = try decoder.container(keyedBy: CodingKeys.self).decode(String.self, forKey: .name)
    settings = try decoder.singleValueContainer().decode([String: JSONValue].self)
    settings["name"] = nil
  }
}
