import Foundation
import InfraCore

/// The params of `initialize`: the same for every program, with defaults for what its role
/// leaves out (an inventory has no prefix, options nor hosts).
package struct InitializeParams: Encodable, Sendable {
  package var protocolVersion = ProgramChannel.protocolVersion
  package var name: String
  package var prefix = ""
  /// The options as written in infra.yaml.
  package var options: [String: JSONValue] = [:]
  /// The hosts it serves: a connector's, or those naming a transport.
  package var hosts: [HostDescription] = []
  /// The repository root.
  package var repository: String

  package init(
    name: String, prefix: String = "", options: [String: JSONValue] = [:],
    hosts: [InventoryHost] = [], repository: Repository
  ) {
    self.name = name
    self.prefix = prefix
    self.options = options
    self.hosts = hosts.map(HostDescription.init)
    self.repository = repository.root.path
  }

  enum CodingKeys: String, CodingKey {
    case protocolVersion = "protocol_version"
    case name, prefix, options, hosts, repository
  }
}

/// A host as programs learn it: `{name, groups, data}`.
package struct HostDescription: Codable, Sendable, Hashable {
  package var name: String
  package var groups: [String]
  package var data: [String: JSONValue]

  package init(_ host: InventoryHost) {
    name = host.name
    groups = host.groups
    data = host.data
  }
}

/// What every program's `initialize` answer says; a role's answer says more.
package protocol Greeting: Decodable, Sendable {
  /// The protocol version it speaks.
  var protocolVersion: Int { get }
  /// `resources`, `inventory`, `execution`.
  var offers: [String]? { get }
  /// How many calls it serves at once; 1 when it does not say. Read as any value, so that a
  /// wrong one is named as such (`not "lots"`).
  var concurrency: JSONValue? { get }
}

/// The `initialize` answer of a program whose role needs nothing more from it.
package struct BasicGreeting: Greeting {
  package var protocolVersion: Int
  package var offers: [String]?
  package var concurrency: JSONValue?

  enum CodingKeys: String, CodingKey {
    case protocolVersion = "protocol_version"
    case offers, concurrency
  }
}

/// A program that cannot be used, for people.
package struct ProgramError: Error, CustomStringConvertible {
  package var description: String

  package init(_ description: String) {
    self.description = description
  }
}

extension ProgramChannel {
  /// The version of the connector protocol this infra speaks.
  package static let protocolVersion = 1
  /// The most calls infra keeps in flight on one program, whatever it allows.
  package static let maximumConcurrency = 64

  /// Starts `program` in the repository root and makes the protocol's first call: the answer,
  /// once the version is checked and, with `role`, that the program offers it. A program that
  /// fails any of that is stopped.
  package static func start<Answer: Greeting>(
    _ program: ExternalProgram, name: String, repository: Repository, handler: @escaping Handler,
    notifications: @escaping Notifications = { _ in }, initialize: InitializeParams,
    offering role: String? = nil, as type: Answer.Type = Answer.self
  ) async throws -> (ProgramChannel, Answer) {
    let channel = try ProgramChannel(
      name: name, arguments: program.arguments, directory: repository.root.path,
      environment: try environment(program), handler: handler, notifications: notifications,
      maxMessageBytes: program.maxMessageBytes)
    do {
      let answer = try await channel.call(
        "initialize", initialize, as: Answer.self, timeout: .seconds(program.timeout))
      guard answer.protocolVersion == protocolVersion else {
        throw ProgramError(
          "it speaks connector protocol version \(answer.protocolVersion), and this infra speaks version \(protocolVersion)"
        )
      }
      if let role, answer.offers?.contains(role) != true {
        throw ProgramError("it does not offer \(role): `offers` in its initialize answer lacks it")
      }
      if let given = answer.concurrency, given != .null {
        guard let limit = given.intValue, limit >= 1 else {
          throw ProgramError(
            "its `concurrency` must be a whole number of at least 1, not \(given.serialized)")
        }
        await channel.allow(concurrency: min(limit, maximumConcurrency))
      }
      return (channel, answer)
    } catch {
      await channel.close(grace: .seconds(2))
      throw error
    }
  }

  /// The handler of a program that may not call infra back (inventory and transport
  /// programs).
  package static func refusing(_ what: String) -> Handler {
    { request in
      throw RPC.RemoteError(.methodNotFound, "\(what) cannot call '\(request.method)'")
    }
  }

  /// Exactly the environment a program gets: `PATH`, `HOME` and `LANG`, and its `env:`. A
  /// value taken `from:` infra's environment is taken to be a secret (a token, a password), and
  /// masked in every output from then on.
  static func environment(_ program: ExternalProgram) throws -> [String: String] {
    var environment: [String: String] = [:]
    let own = ProcessInfo.processInfo.environment
    for name in ["PATH", "HOME", "LANG"] { environment[name] = own[name] }
    for (name, value) in program.environment {
      switch value {
      case .value(let text): environment[name] = text
      case .from(let variable):
        guard let text = own[variable] else {
          throw ProgramError(
            "its env '\(name)' takes '\(variable)' from infra's environment, where it is not set")
        }
        SecretMask.shared.register(text)
        environment[name] = text
      }
    }
    return environment
  }
}
