/// What infra.yaml may hold, declared once: `ConfigLoader` accepts exactly these keys, and
/// `infra schema` writes them, with the options of each connector type, as JSON Schema.
package enum ConfigSchema {
  /// Host, group, prefix and connector names: they become folder names.
  static let name = "^[A-Za-z0-9][A-Za-z0-9._-]*$"

  static let sudo = SchemaKey(
    "sudo", .boolean("run every command through `sudo -n` (as root, or as `sudo_user`)"))
  static let sudoUser = SchemaKey(
    "sudo_user", .string("run every command as this user, through `sudo -n`"))

  /// `run:`, `env:`, `timeout:` and `max_message_bytes:` of a program infra starts.
  static let programKeys: [SchemaKey] = [
    SchemaKey(
      "run",
      .list(
        .string("the program, then each argument"), "the program and its arguments",
        minimumItems: 1)),
    SchemaKey(
      "env",
      .mapping(
        SchemaMapping(
          "the program's environment; nothing else of infra's is passed on", keys: [],
          others: .oneOf(
            [
              .string("the value"),
              .mapping(
                SchemaMapping(
                  "a variable of infra's own environment",
                  keys: [SchemaKey("from", .string("the variable's name"))], required: ["from"])),
            ], "a value, or `{ from: VARIABLE }`")))),
    SchemaKey("timeout", .integer("seconds the program may take to answer a call", minimum: 1)),
    SchemaKey(
      "max_message_bytes",
      .integer(
        "the largest message the program may send, in bytes",
        minimum: ExternalProgram.minimumMaxMessageBytes)),
  ]

  static let program = SchemaNode.mapping(
    SchemaMapping("a program that infra starts", keys: programKeys, required: ["run"]))

  /// A host's `data:`: its `ssh_*` keys (and the connectors' own keys) are checked, the rest
  /// is free for templates and connectors.
  static func hostData(_ connectorKeys: [SchemaKey]) -> SchemaNode {
    let ssh: [SchemaKey] = [
      SchemaKey("ssh_identity_file", .string(SSHSettings.summary("ssh_identity_file"))),
      SchemaKey("ssh_known_hosts_file", .string(SSHSettings.summary("ssh_known_hosts_file"))),
      SchemaKey(
        "ssh_host_key_checking",
        .string(
          SSHSettings.summary("ssh_host_key_checking"),
          values: SSHSettings.HostKeyChecking.allCases.map(\.rawValue))),
      SchemaKey(
        "ssh_connect_timeout", .integer(SSHSettings.summary("ssh_connect_timeout"), minimum: 1)),
      SchemaKey("ssh_persist", .integer(SSHSettings.summary("ssh_persist"), minimum: 0)),
      SchemaKey(
        "ssh_options",
        .mapping(
          SchemaMapping(
            SSHSettings.summary("ssh_options"), keys: [],
            others: .raw(
              .object(["type": .array(["string", "integer", "boolean"].map(JSONValue.string))]))))),
    ]
    let known = ssh.map(\.name).joined(separator: "|")
    return .mapping(
      SchemaMapping(
        "the host's data, for templates and connectors; `ssh_*` keys set how it is reached",
        keys: ssh + connectorKeys, others: .anything("a value of the host's own"),
        otherNames: "^(?!ssh_)|^(\(known))$"))
  }

  static func host(_ connectorKeys: [SchemaKey]) -> SchemaNode {
    .mapping(
      SchemaMapping(
        "how to reach the host, its groups and its data",
        keys: [
          SchemaKey(
            "connect",
            .string(
              "`local`, `ssh://[user@]host[:port]`, or `TRANSPORT://address` of a transport program"
            )),
          SchemaKey(
            "groups", .list(.string("a group name, with or without '@'"), "the host's groups")),
          SchemaKey("data", hostData(connectorKeys)),
          sudo, sudoUser,
        ], required: ["connect"]))
  }

  static let hostKeys = host([]).mapping!.keyNames

  /// A connector entry; `options` is any mapping here, and the document adds each connector
  /// type's options by condition.
  package static let connector = SchemaNode.mapping(
    SchemaMapping(
      "a connector enabled under the prefix",
      keys: [
        SchemaKey("name", .string("the connector's folder below resources/PREFIX/", pattern: name)),
        SchemaKey("type", .string("the builtin connector type (default: the name)")),
        SchemaKey(
          "hosts",
          .list(.string("a host name, or @group"), "the hosts it serves (default: every host)")),
        SchemaKey(
          "options",
          .mapping(SchemaMapping("the connector's options", keys: [], others: .anything("")))),
        sudo, sudoUser,
      ] + programKeys + [
        SchemaKey(
          "package",
          .string(
            "the connector an installed Python package offers under this name (its `infra.connectors` entry point)"
          )),
        SchemaKey("python", .string("the Python that has the package installed (default python3)")),
      ], required: ["name"]))

  package static let prefix = SchemaNode.mapping(
    SchemaMapping(
      "a prefix: a folder resources/PREFIX/ with its own connectors",
      keys: [
        SchemaKey("connectors", .list(connector, "the connectors of the prefix, in apply order"))
      ],
      required: ["connectors"]))

  static let secrets = SchemaNode.mapping(
    SchemaMapping(
      "age identities to decrypt `.age` files with, and recipients to encrypt to",
      keys: [
        SchemaKey(
          "identities",
          .list(
            .oneOf(
              [
                .mapping(
                  SchemaMapping(
                    "an identity file outside the repository",
                    keys: [SchemaKey("file", .string("its path; ~ is the home folder"))],
                    required: ["file"])),
                .mapping(
                  SchemaMapping(
                    "a variable of infra's environment holding an identity",
                    keys: [SchemaKey("env", .string("the variable's name"))], required: ["env"])),
              ], "where an identity comes from"), "where age identities come from")),
        SchemaKey(
          "recipients",
          .list(.string("an age public key (age1…) or an SSH public key"), "who can decrypt")),
      ]))

  static let secretsKeys = secrets.mapping!.keyNames

  package static func topLevel(hostData connectorKeys: [SchemaKey] = []) -> SchemaMapping {
    func names(_ node: SchemaNode, _ summary: String) -> SchemaNode {
      .mapping(SchemaMapping(summary, keys: [], others: node, otherNames: name))
    }
    return SchemaMapping(
      "infra.yaml: which hosts exist, and which connectors are enabled under which prefixes",
      keys: [
        SchemaKey(
          "version",
          .integer(
            "the schema version of this file", minimum: 1, maximum: InfraConfig.supportedVersion)),
        SchemaKey("hosts", names(host(connectorKeys), "host names mapped to their settings")),
        SchemaKey(
          "defaults",
          .mapping(
            SchemaMapping(
              "what every host has unless its groups or itself say otherwise",
              keys: [SchemaKey("data", hostData(connectorKeys))]))),
        SchemaKey(
          "groups",
          names(
            .mapping(
              SchemaMapping(
                "what the hosts of the group have unless they say otherwise",
                keys: [SchemaKey("data", hostData(connectorKeys))])),
            "group names mapped to the data their hosts get")),
        SchemaKey("inventory", .list(program, "programs that yield hosts")),
        SchemaKey(
          "transports", names(program, "transport programs by the scheme hosts connect with")),
        SchemaKey("prefixes", names(prefix, "prefix names mapped to their connectors")),
        SchemaKey(
          "runs",
          .mapping(
            SchemaMapping(
              "the runs kept in .infra/runs/",
              keys: [SchemaKey("keep", .integer("how many runs are kept", minimum: 1))]))),
        SchemaKey(
          "locks",
          .mapping(
            SchemaMapping(
              "the apply lock every host holds while it is changed",
              keys: [
                SchemaKey(
                  "folder", .string("the folder on every host that holds it", pattern: "^/")),
                SchemaKey(
                  "lease", .integer("seconds a lock lasts unless its run renews it", minimum: 1)),
              ]))),
        SchemaKey("secrets", secrets),
      ], required: ["version", "prefixes"])
  }

  static let topLevelKeys = topLevel().keyNames

  /// The keys of the top-level mapping `key` (`runs`, `locks`).
  static func keys(of key: String) -> [String] {
    topLevel()[key]?.mapping?.keyNames ?? []
  }
}
