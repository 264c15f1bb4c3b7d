import Yams

extension ConfigLoader {
  static let secretsKeys = ConfigSchema.secretsKeys

  /// `secrets:`: identities from files outside the repository or from environment variables,
  /// and recipients.
  static func readSecrets(_ node: Node, reader: inout YAMLReader) -> SecretsSettings {
    var settings = SecretsSettings()
    settings.location = reader.location(of: node)
    guard let secrets = reader.mapping(node, for: "'secrets'", keys: secretsKeys) else {
      return settings
    }
    secrets.reportUnknownKeys(into: &reader)
    if let list = secrets["identities"] {
      guard case .sequence(let items) = list else {
        reader.error(
          "'identities' must be a list of `{ file: PATH }` or `{ env: VARIABLE }`", at: list,
          hint: "e.g. `identities: [{ env: INFRA_AGE_IDENTITY }]`")
        return settings
      }
      for item in items {
        if let source = identity(item, reader: &reader) {
          settings.identities.append(Located(source, at: reader.location(of: item)))
        }
      }
    }
    if let list = secrets["recipients"],
      let recipients = reader.stringList(list, for: "'recipients'", items: "age recipients")
    {
      for recipient in recipients {
        let text = recipient.value
        if text.hasPrefix("age1") || text.hasPrefix("ssh-ed25519 ") || text.hasPrefix("ssh-rsa ") {
          settings.recipients.append(recipient)
        } else {
          reader.diagnostics.error(
            "'\(text.clipped(to: 80))' is not an age recipient", at: recipient.location,
            hint: "an age public key (`age1…`, from `age-keygen -y FILE`) or an SSH public key")
        }
      }
    }
    return settings
  }

  private static func identity(_ node: Node, reader: inout YAMLReader)
    -> SecretsSettings.IdentitySource?
  {
    guard let entry = reader.mapping(node, for: "an identity", keys: ["file", "env"]) else {
      return nil
    }
    entry.reportUnknownKeys(into: &reader)
    switch (entry["file"], entry["env"]) {
    case (let file?, nil):
      guard let path = reader.string(file, for: "'file'") else { return nil }
      guard path.hasPrefix("/") || path.hasPrefix("~/") else {
        reader.error(
          "identity file '\(path.clipped(to: 80))' must be an absolute path or start with ~/",
          at: file,
          hint: "keep identities outside the repository, e.g. ~/.config/infra/age.txt")
        return nil
      }
      return .file(path)
    case (nil, let env?):
      guard let name = reader.string(env, for: "'env'") else { return nil }
      return .environment(name)
    default:
      reader.error(
        "an identity is either `{ file: PATH }` or `{ env: VARIABLE }`", at: node,
        hint: "an identity file outside the repository, or a variable holding the identity")
      return nil
    }
  }
}
