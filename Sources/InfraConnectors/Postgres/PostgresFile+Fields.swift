import Foundation
import InfraCore
import Yams

extension PostgresFile {
  /// The typed values of one file's mapping, each problem reported where it was written.
  struct Fields {
    let map: MappingReader?
    var reader: YAMLReader

    func node(_ key: String) -> Node? { map?[key] }

    mutating func string(_ key: String) -> String? {
      node(key).flatMap { reader.string($0, for: "'\(key)'", acceptingScalars: true) }
    }

    mutating func bool(_ key: String) -> Bool? {
      node(key).flatMap { reader.bool($0, for: "'\(key)'") }
    }

    mutating func int(_ key: String) -> Int? {
      guard let node = node(key), let value = reader.int(node, for: "'\(key)'") else { return nil }
      guard value >= -1 else {
        reader.error("'\(key)' must be -1 (no limit) or more, not \(value)", at: node)
        return nil
      }
      return value
    }

    /// A name from `key`, or from the path; checked as PostgreSQL would take it.
    mutating func name(
      _ key: String, default fromPath: String, role: Bool = false,
      grantee: Bool = false
    ) -> String {
      let name = string(key) ?? fromPath
      let problem =
        role
        ? PostgresNames.roleProblem(with: name)
        : grantee && name == PostgresNames.everyone ? nil : PostgresNames.problem(with: name)
      if let problem {
        let location =
          node(key).map { reader.location(of: $0) } ?? SourceLocation(file: reader.file.path)
        reader.diagnostics.error(
          "\(problem)", at: location,
          hint: node(key) == nil
            ? "the file's name is the name: rename the file, or give the name with `\(key):`" : nil)
      }
      return name
    }

    mutating func optionalName(_ key: String) -> String? {
      node(key).flatMap { checkedName($0, key: key) }
    }

    /// The name `node` holds, reported where it is written when PostgreSQL would refuse or
    /// cut it.
    private mutating func checkedName(_ node: Node, key: String) -> String? {
      guard let name = reader.string(node, for: "'\(key)'", acceptingScalars: true) else {
        return nil
      }
      if let problem = PostgresNames.problem(with: name) { reader.error(problem, at: node) }
      return name
    }

    mutating func names(_ key: String) -> [String] {
      guard let node = node(key), let items = reader.stringList(node, for: "'\(key)'") else {
        return []
      }
      for item in items {
        if let problem = PostgresNames.problem(with: item.value) {
          reader.diagnostics.error(problem, at: item.location)
        }
      }
      return Array(Set(items.map(\.value)))
    }

    /// `infinity`, a date (midnight UTC) or a UTC time, as `2027-01-31T00:00:00Z`.
    mutating func validUntil() -> String? {
      guard let node = node("valid_until"), let text = string("valid_until") else { return nil }
      if text.lowercased() == "infinity" { return "infinity" }
      let pattern = #/^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}:\d{2})Z?)?$/#
      guard let match = text.wholeMatch(of: pattern) else {
        reader.error(
          "'valid_until' must be a date or a UTC time, not '\(text)'", at: node,
          hint: "e.g. `valid_until: \"2027-01-31\"`, `\"2027-01-31T12:00:00Z\"` or `infinity`")
        return nil
      }
      return "\(match.1)T\(match.2 ?? "00:00:00")Z"
    }

    /// `password: {file: PATH}` (repository-relative; `.age` files are decrypted) or
    /// `password: {env: NAME}`.
    mutating func password() -> PasswordSource? {
      guard let node = node("password") else { return nil }
      let hint =
        "write `password: {file: secrets/NAME.age}` (encrypted with `infra secrets encrypt`) or `password: {env: VARIABLE}`; a password is never written in the file itself"
      // A password written in the file itself is refused, and hidden wherever the error shows
      // the line it is on.
      if case .scalar(let scalar) = node { SecretMask.shared.register(scalar.string) }
      guard case .mapping = node,
        let source = reader.mapping(node, for: "'password'", keys: ["file", "env"]),
        source.entries.count == 1
      else {
        reader.error("'password' must name where the password comes from", at: node, hint: hint)
        return nil
      }
      source.reportUnknownKeys(into: &reader)
      let entry = source.entries[0]
      guard let value = reader.string(entry.value, for: "'password.\(entry.name)'") else {
        return nil
      }
      switch entry.name {
      case "file":
        if value.hasPrefix("/") || value.split(separator: "/").contains("..") {
          reader.error(
            "'password.file' must be a path inside the repository, not '\(value)'",
            at: entry.value, hint: "e.g. `secrets/app.password.age`, relative to infra.yaml")
          return nil
        }
        return .file(value)
      case "env": return .environment(value)
      default: return nil
      }
    }

    mutating func privileges(_ key: String, on target: PrivilegeTarget) -> [String] {
      guard let node = node(key) else { return [] }
      return privileges(node, what: "'\(key)'", on: target)
    }

    mutating func privileges(_ node: Node, what: String, on target: PrivilegeTarget)
      -> [String]
    {
      guard let items = reader.stringList(node, for: what, items: "privileges") else { return [] }
      switch target.normalized(items.map(\.value)) {
      case .success(let names): return names
      case .failure(let wrong):
        let location = items.first { $0.value == wrong.name }?.location
        reader.diagnostics.error(
          "'\(wrong.name)' is not a privilege on \(target.rawValue)",
          at: location ?? reader.location(of: node),
          hint: "privileges on \(target.rawValue): "
            + target.privileges.joined(separator: ", ") + ", or ALL")
        return []
      }
    }

    mutating func schemaPrivileges() -> [String: [String]] {
      guard let node = node("on_schemas"),
        let schemas = reader.mapping(
          node, for: "'on_schemas' (schema names mapped to privileges)", keys: [])
      else { return [:] }
      var result: [String: [String]] = [:]
      for entry in schemas.entries {
        if let problem = PostgresNames.problem(with: entry.name) {
          reader.error(problem, at: entry.key)
        }
        let privileges = privileges(
          entry.value, what: "the privileges on schema '\(entry.name)'", on: .schema)
        if !privileges.isEmpty { result[entry.name] = privileges }
      }
      return result
    }

    mutating func defaultPrivileges() -> [DefaultPrivilege] {
      guard let node = node("default_privileges") else { return [] }
      guard case .sequence(let items) = node else {
        reader.error(
          "expected a list for 'default_privileges'", at: node,
          hint: "e.g. `- {for_role: app_owner, schema: public, tables: [SELECT]}`")
        return []
      }
      let objects = PrivilegeTarget.allCases.filter { $0.defaultACLType != nil }
      var result: Set<DefaultPrivilege> = []
      for item in items {
        guard
          let entry = reader.mapping(
            item, for: "an entry of 'default_privileges'",
            keys: ["for_role", "schema"] + objects.map(\.rawValue))
        else { continue }
        entry.reportUnknownKeys(into: &reader)
        let creator = requiredName("for_role", in: entry)
        let schema = requiredName("schema", in: entry)
        guard let creator, let schema else { continue }
        for target in objects {
          guard let list = entry[target.rawValue] else { continue }
          let privileges = privileges(list, what: "'\(target.rawValue)'", on: target)
          if !privileges.isEmpty {
            result.insert(
              DefaultPrivilege(
                creator: creator, schema: schema, objects: target, privileges: privileges))
          }
        }
      }
      return result.sorted()
    }

    private mutating func requiredName(_ key: String, in entry: MappingReader) -> String? {
      guard let node = entry[key] else {
        reader.error(
          "an entry of 'default_privileges' needs '\(key)'", at: entry.node,
          hint:
            "`for_role` is the role whose new objects get the privileges; `schema` where they are made"
        )
        return nil
      }
      return checkedName(node, key: key)
    }
  }
}
