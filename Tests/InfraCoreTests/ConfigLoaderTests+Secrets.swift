import Foundation
import InfraCore
import Testing

/// `secrets:`: identities from a variable or a file outside the repository, and recipients.
extension ConfigLoaderTests {
  static let head = "version: 1\nhosts: { local: { connect: local } }\nprefixes: {}\n"

  @Test func identitiesAndRecipientsAreReadWhereTheyAreWritten() throws {
    let (config, diagnostics) = ConfigLoader.parse(
      Self.head
        + """
        secrets:
          identities: [{ env: AGE_KEY }, { file: ~/.config/infra/age.txt }, { file: /etc/age.txt }]
          recipients: [age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p]
        """)
    #expect(diagnostics.all.isEmpty, "\(diagnostics.all)")
    let secrets = try #require(config?.secrets)
    #expect(
      secrets.identities.map(\.value) == [
        .environment("AGE_KEY"), .file("~/.config/infra/age.txt"), .file("/etc/age.txt"),
      ])
    #expect(secrets.identities.first?.location.line == 5)
    #expect(secrets.recipients.map(\.value).first?.hasPrefix("age1") == true)
  }

  @Test func badSecretsSettingsAreLocatedErrors() {
    #expect(
      problems(
        Self.head
          + """
          secrets:
            identities: [{ file: keys/age.txt }, { env: A, file: /b }, { vault: x }]
            recipients: [not-a-key]
            passphrase: hunter2
          """) == [
          "5:24: error: identity file 'keys/age.txt' must be an absolute path or start with ~/",
          "5:40: error: an identity is either `{ file: PATH }` or `{ env: VARIABLE }`",
          "5:62: error: an identity is either `{ file: PATH }` or `{ env: VARIABLE }`",
          "5:64: error: unknown key 'vault' in an identity",
          "6:16: error: 'not-a-key' is not an age recipient",
          "7:3: error: unknown key 'passphrase' in 'secrets'",
        ])
    #expect(
      problems(Self.head + "secrets: { identities: AGE_KEY }\n") == [
        "4:24: error: 'identities' must be a list of `{ file: PATH }` or `{ env: VARIABLE }`"
      ])
  }
}
