import InfraCore

/// Every key an `.infra-attrs.yaml` may hold, declared once for the loader and `infra schema`.
extension AttributesFile {
  static let topKeys = schema.keyNames
  static let entryKeys = entrySchema.keyNames

  private static let attributeKeys: [SchemaKey] = [
    SchemaKey(
      "mode",
      .oneOf(
        [
          .string("octal permission bits", pattern: "^0?[0-7]{3,4}$"),
          .integer("octal permission bits, as YAML reads 0644", minimum: 0),
          .string(
            "a whole mode as chmod writes it symbolically, from no permissions: u=rw,g=r,o=",
            pattern: "^[ugoa]*([=+-][rwxXst]*)+(,[ugoa]*([=+-][rwxXst]*)+)*$"),
        ], "permission bits in octal (\"0640\", \"4755\") or symbolic (u=rw,g=r,o=)")),
    SchemaKey(
      "owner",
      .oneOf([.string("a user name"), .integer("a user id", minimum: 0)], "the files' owner")),
    SchemaKey(
      "group",
      .oneOf([.string("a group name"), .integer("a group id", minimum: 0)], "the files' group")),
    SchemaKey(
      "sensitive", .boolean("keep the content out of every plan, log and artifact")),
    SchemaKey(
      "template",
      .boolean(
        "render the content as a Mustache template with the host's name, groups, data and facts (files named *.mustache are templates unless this is false)"
      )),
    SchemaKey(
      "validate",
      .string(
        "a command run on the host against the staged file before it replaces the target, %s standing for its path (`nginx -t -c %s`, `visudo -cf %s`); if it fails, the target keeps its content",
        pattern: "%s")),
    SchemaKey(
      "on_change",
      .oneOf(
        [
          .string("a shell command"),
          .list(.string("a shell command"), "shell commands, run in this order"),
        ],
        "commands run once per host after every change that names them was applied (`systemctl reload nginx`)"
      )),
    SchemaKey(
      "backup",
      .boolean(
        "keep the file a new content replaces beside it, as <name>.<UTC time>~ with its old mode and owner"
      )),
    SchemaKey(
      "replace",
      .boolean(
        "when the host has something of another kind at the path (a link where a file is wanted, a file or folder where a link is), move it aside as <name>.<UTC time>~ rather than fail"
      )),
  ]

  static let entrySchema = SchemaMapping(
    "the settings of one file of this folder",
    keys: attributeKeys + [
      SchemaKey(
        "state",
        .string(
          "`absent` removes the file from the host",
          values: DesiredFile.State.allCases.map(\.rawValue))),
      SchemaKey(
        "link",
        .string(
          "make the name a symbolic link to this target, compared as written (`../run/resolv.conf`); no file of content goes with it"
        )),
    ])

  static let folderSchema = SchemaMapping(
    "the mode, owner and group of this folder itself, which makes it a resource of its own",
    keys: Array(attributeKeys.prefix(3)))

  /// What the file may hold, declared once for the loader and for `infra schema`.
  package static let schema = SchemaMapping(
    ".infra-attrs.yaml: mode, owner and group for the files of its folder and every folder below",
    keys: attributeKeys + [
      SchemaKey("folder", .mapping(folderSchema)),
      SchemaKey(
        "files",
        .mapping(
          SchemaMapping(
            "file names of this folder mapped to their settings", keys: [],
            others: .mapping(entrySchema), otherNames: "^[^/]+$"))),
    ])
}
