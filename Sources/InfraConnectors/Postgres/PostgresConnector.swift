import Foundation
import InfraCore
import InfraEngine
import InfraTransport

/// The builtin `postgres` connector: roles, databases, schemas and privileges of PostgreSQL
/// servers, through `psql` on each host.
package struct PostgresConnectorType: ConnectorType {
  package init() {}

  package var info: ConnectorTypeInfo {
    ConnectorTypeInfo(
      type: "postgres",
      summary:
        "PostgreSQL roles, databases, schemas and privileges, read in one psql call per server and changed as the SQL the plan shows.",
      layout: PostgresLoader.layout,
      options: [
        OptionSpec("psql", .string, default: .string("psql"), "the psql program on the hosts"),
        OptionSpec(
          "sudo_user", .string,
          "run psql as this user of the host through sudo (e.g. postgres, for peer authentication)"),
        OptionSpec(
          "host", .string, "server host name or socket folder (psql -h); psql's default when unset"),
        OptionSpec("port", .integer, "server port (psql -p)"),
        OptionSpec("user", .string, "role to connect as (psql -U)"),
        OptionSpec(
          "database", .string, default: .string("postgres"),
          "database to connect to first, where roles and databases are changed"),
      ])
  }

  package func make(_ context: ConnectorContext) throws -> any Connector {
    let options = context.options
    if let port = options["port"], let value = port.value.intValue, !(1...65535).contains(value) {
      throw Diagnostic.error(
        "option 'port' of connector '\(context.name)' must be a port number, not \(value)",
        at: port.location)
    }
    return PostgresConnector(
      settings: PostgresConnector.Settings(
        prefix: context.prefix, name: context.name, hosts: context.hosts,
        inventory: context.inventory, repository: context.repository, cipher: context.cipher,
        program: options["psql"]?.value.stringValue ?? "psql",
        sudoUser: options["sudo_user"]?.value.stringValue,
        server: options["host"]?.value.stringValue, port: options["port"]?.value.intValue,
        user: options["user"]?.value.stringValue,
        database: options["database"]?.value.stringValue ?? "postgres"))
  }
}

struct PostgresConnector: Connector {
  struct Settings: Sendable {
    var prefix: String
    var name: String
    var hosts: [InventoryHost]
    var inventory: Inventory
    var repository: Repository
    var cipher: AgeCipher
    var program: String
    var sudoUser: String?
    var server: String?
    var port: Int?
    var user: String?
    var database: String
    var passwords = PasswordBox()

    var targets: HostTargets {
      HostTargets(prefix: prefix, connector: name, hosts: hosts, inventory: inventory)
    }

    func psql(_ transport: any Transport) -> PsqlRunner {
      PsqlRunner(
        transport: sudoUser.map { SudoTransport(base: transport, user: $0) } ?? transport,
        program: program, host: server, port: port, user: user, database: database)
    }
  }

  let settings: Settings

  func load(_ request: LoadRequest) async -> LoadResponse {
    await PostgresLoader(settings: settings).load(request)
  }

  func read(_ request: ReadRequest) async throws -> ReadResponse {
    let desired = try request.resources.map { try PostgresDesired(json: $0.desired) }
    // A database that does not exist yet is planned as a copy of its template would be.
    var databases = Set(desired.compactMap(\.insideDatabase))
    if !databases.isEmpty { databases.insert(PostgresState.template) }
    let catalog = try await Self.catalog(
      settings.psql(request.transport), inside: databases.sorted())
    let owners = PostgresState.Owners(desired.filter { !$0.absent })
    var states: [Address: LiveState] = [:]
    for (resource, object) in zip(request.resources, desired) {
      states[resource.address] = PostgresState.live(
        of: object, in: catalog, passwords: settings.passwords, owners: owners)
    }
    return ReadResponse(states: states)
  }

  /// The server's catalogs in one psql call; password verifiers read are registered with the
  /// secret mask, as the passwords are.
  static func catalog(_ psql: PsqlRunner, inside databases: [String]) async throws
    -> PostgresCatalog
  {
    let output = try await psql.read(CatalogScript.text(inside: databases))
    let catalog = try PostgresCatalog(output: output)
    for role in catalog.roles.values {
      if let verifier = role.password { SecretMask.shared.register(verifier) }
    }
    return catalog
  }

  func plan(_ request: PlanRequest) async throws -> PlanResponse {
    PostgresPlanner(passwords: settings.passwords).plan(request.items)
  }

  func apply(_ request: ApplyRequest) async -> ApplyResponse {
    await PostgresApplier(psql: settings.psql(request.transport)).apply(request)
  }

  func list(_ request: ListRequest) async throws -> ListResponse {
    try await PostgresImporter(settings: settings, host: request.host.name)
      .list(settings.psql(request.transport))
  }
}
