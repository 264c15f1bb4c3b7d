/// The psql script that reads a server's catalogs in one call, and the settings every script
/// of the connector starts with.
enum CatalogScript {
  /// Quiet, UTF-8, strings as the standard says (a backslash is itself), notices not shown.
  static let header = """
    \\set QUIET on
    \\encoding UTF8
    SET client_min_messages = warning;
    SET standard_conforming_strings = on;

    """

  /// Everyone's privileges on an object, with PostgreSQL's defaults for an unset list.
  private static func privileges(_ acl: String, _ type: String, _ owner: String) -> String {
    """
    (SELECT coalesce(json_agg(json_build_object(\
    'grantee', CASE WHEN a.grantee = 0 THEN 'public' ELSE pg_get_userbyid(a.grantee) END, \
    'privilege', a.privilege_type)), '[]'::json) \
    FROM aclexplode(coalesce(\(acl), acldefault('\(type)', \(owner)))) a)
    """
  }

  private static func roles(from table: String, password: String) -> String {
    """
    SELECT 'roles' || chr(9) || coalesce(json_agg(json_build_object(\
    'name', r.rolname, 'flags', json_build_object('superuser', r.rolsuper, \
    'inherit', r.rolinherit, 'createrole', r.rolcreaterole, 'createdb', r.rolcreatedb, \
    'login', r.rolcanlogin, 'replication', r.rolreplication, 'bypassrls', r.rolbypassrls), \
    'connectionLimit', r.rolconnlimit, \
    'validUntil', CASE WHEN r.rolvaliduntil IS NULL THEN NULL \
    WHEN r.rolvaliduntil = 'infinity' THEN 'infinity' \
    ELSE to_char(r.rolvaliduntil AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') END, \
    'password', \(password), \
    'memberOf', ARRAY(SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid \
    WHERE m.member = r.oid ORDER BY 1)) ORDER BY r.rolname), '[]'::json)::text FROM \(table) r;
    """
  }

  /// The script: the cluster's roles and databases, then the inside of each of `databases`
  /// that exists and takes connections.
  static func text(inside databases: [String]) -> String {
    var lines = [
      header,
      "SELECT 'super' || chr(9) || rolsuper::text FROM pg_roles WHERE rolname = current_user;",
      "SELECT rolsuper AS infra_super FROM pg_roles WHERE rolname = current_user \\gset",
      "\\if :infra_super",
      roles(from: "pg_authid", password: "r.rolpassword"),
      "\\else",
      roles(from: "pg_roles", password: "NULL"),
      "\\endif",
      """
      SELECT 'databases' || chr(9) || coalesce(json_agg(json_build_object(\
      'name', d.datname, 'owner', pg_get_userbyid(d.datdba), \
      'encoding', pg_encoding_to_char(d.encoding), 'lcCollate', d.datcollate, \
      'lcCtype', d.datctype, 'connectionLimit', d.datconnlimit, 'template', d.datistemplate, \
      'connectable', d.datallowconn, \
      'privileges', \(privileges("d.datacl", "d", "d.datdba"))) ORDER BY d.datname), \
      '[]'::json)::text FROM pg_database d;
      """,
    ]
    for database in databases {
      lines += [
        "SELECT EXISTS (SELECT FROM pg_database WHERE datname = \(SQL.literal(database)) AND datallowconn) AS infra_in \\gset",
        "\\if :infra_in",
        SQL.connect(to: database),
        """
        SELECT 'inside' || chr(9) || json_build_object('name', current_database(), \
        'schemas', (SELECT coalesce(json_agg(json_build_object('name', n.nspname, \
        'owner', pg_get_userbyid(n.nspowner), \
        'privileges', \(privileges("n.nspacl", "n", "n.nspowner"))) ORDER BY n.nspname), '[]'::json) \
        FROM pg_namespace n WHERE n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'), \
        'defaults', (SELECT coalesce(json_agg(json_build_object(\
        'creator', pg_get_userbyid(a.defaclrole), 'schema', n.nspname, 'type', a.defaclobjtype, \
        'grantee', CASE WHEN x.grantee = 0 THEN 'public' ELSE pg_get_userbyid(x.grantee) END, \
        'privilege', x.privilege_type)), '[]'::json) \
        FROM pg_default_acl a JOIN pg_namespace n ON n.oid = a.defaclnamespace \
        CROSS JOIN LATERAL aclexplode(a.defaclacl) x))::text;
        """,
        "\\endif",
      ]
    }
    return lines.joined(separator: "\n") + "\n"
  }
}
