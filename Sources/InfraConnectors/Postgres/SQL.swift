/// Quoting for the SQL and psql scripts the postgres connector writes: any name PostgreSQL
/// accepts is written so that it is read back as exactly that name, never as SQL.
enum SQL {
  /// `name` as a quoted identifier: `"weird ""name"""`.
  static func identifier(_ name: String) -> String {
    "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
  }

  /// A role as a grantee: `PUBLIC` for everyone, else the quoted name.
  static func grantee(_ role: String) -> String {
    role == PostgresNames.everyone ? "PUBLIC" : identifier(role)
  }

  /// `text` as a string literal, with `standard_conforming_strings` on (the scripts set it):
  /// only a quote needs doubling, a backslash is itself.
  static func literal(_ text: String) -> String {
    "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
  }

  /// An argument of a psql meta-command (`\connect`), single-quoted: psql undoes doubled
  /// quotes and backslash escapes inside.
  static func metaArgument(_ text: String) -> String {
    "'"
      + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "''")
      + "'"
  }

  /// The `\connect` line that switches a script to `database`, keeping the host, port and user
  /// of the connection before. The name goes in a connection string, so that a database called
  /// `host=elsewhere` is a name and not a setting; psql reads `\connect`'s argument as an
  /// identifier too, so the whole is double-quoted inside the single quotes.
  static func connect(to database: String) -> String {
    let value =
      "'"
      + database.replacingOccurrences(of: "\\", with: "\\\\")
      .replacingOccurrences(of: "'", with: "\\'") + "'"
    let identifier = "\"" + ("dbname=" + value).replacingOccurrences(of: "\"", with: "\"\"") + "\""
    return "\\connect -reuse-previous=on " + metaArgument(identifier)
  }
}

/// What names the postgres connector accepts, and the few it gives a meaning.
enum PostgresNames {
  /// The grantee folder for privileges given to every role (`PUBLIC`): no role can have
  /// this name, PostgreSQL reserves it.
  static let everyone = "public"

  /// PostgreSQL keeps the first 63 bytes of a longer name, so a longer one would never match.
  static let maximumBytes = 63

  /// Why `name` cannot name an object, if it cannot.
  static func problem(with name: String) -> String? {
    if name.isEmpty { return "a name cannot be empty" }
    if name.utf8.count > maximumBytes {
      return "'\(name)' is longer than PostgreSQL's \(maximumBytes) bytes, which would cut it"
    }
    if name.unicodeScalars.contains(where: { $0.value == 0 }) {
      return "a name cannot hold a NUL character"
    }
    return nil
  }

  /// Why a role file cannot create a role of this name, if it cannot.
  static func roleProblem(with name: String) -> String? {
    if let problem = problem(with: name) { return problem }
    if name.hasPrefix("pg_") { return "names starting with 'pg_' are PostgreSQL's own roles" }
    let reserved = ["public", "none", "current_role", "current_user", "session_user"]
    if reserved.contains(name.lowercased()) { return "'\(name)' is reserved by PostgreSQL" }
    return nil
  }
}
