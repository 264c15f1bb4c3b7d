/// `secrets:` in infra.yaml: where the age identities that decrypt `.age` resource files come
/// from, and whom infra encrypts to.
///
/// ```yaml
/// secrets:
///   identities:                          # tried in order; never a file of the repository
///     - env: INFRA_AGE_IDENTITY          # the identity itself, e.g. from a CI secret
///     - file: ~/.config/infra/age.txt    # an age identity file (age-keygen -o)
///   recipients:                          # what `infra secrets encrypt`, `edit`, `pull` use
///     - age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p
/// ```
package struct SecretsSettings: Sendable, Hashable {
  /// Where one identity comes from.
  package enum IdentitySource: Sendable, Hashable {
    /// An identity file outside the repository; `~/` is the user's home.
    case file(String)
    /// An environment variable holding the identity itself.
    case environment(String)
  }

  package var identities: [Located<IdentitySource>] = []
  /// age recipients (`age1…`) or SSH public keys.
  package var recipients: [Located<String>] = []
  /// Where `secrets:` is written, when it is.
  package var location: SourceLocation?

  package init() {}
}
