import Foundation
import InfraTestSupport
import InfraTransport
import Testing

/// `infra secrets encrypt` and `edit`, driven as a person would (edit through a real terminal,
/// with an EDITOR that is a script), and what a missing identity does to validate and plan.
@Suite struct SecretsCommandEndToEndTests {
  @Test func encryptThenEditThroughATerminalLeavesNoClearTextBehind() async throws {
    var fixture = try SecretsFixture.onThisMachine("secrets-edit")
    let first = "first-" + UUID().uuidString
    let second = "second-" + UUID().uuidString
    let clear = "resources/test/files/box/app/api.key"
    try fixture.repo.write(clear, first + "\n")

    let encrypt = try await fixture.infra(["secrets", "encrypt", clear])
    #expect(encrypt.code == 0, "\(encrypt)")
    #expect(encrypt.stdout.contains("Encrypted \(clear).age for 1 recipient"), "\(encrypt)")
    #expect(!fixture.repo.exists(clear))
    #expect(try fixture.decrypt(clear + ".age") == first)

    // The editor notes the file it got and whether it runs on a terminal, leaves a swap file
    // beside it (as vim does), and writes the new secret.
    let record = fixture.outputs.appending("editor-record").path
    let editor = try fixture.outputs.write(
      "editor.sh",
      """
      #!/bin/sh
      printf '%s\\n' "$1" > \(record)
      if [ -t 0 ] && [ -t 1 ]; then echo terminal >> \(record); fi
      cat "$1" >> \(record).seen
      printf 'swap' > "$(dirname "$1")/.api.key.swp"
      printf '%s\\n' '\(second)' > "$1"
      """)
    var environment = fixture.environment
    // Read by sh, not run itself: a script just written can be busy for exec (ETXTBSY) while
    // other tests start processes, which inherit the descriptor it was written through.
    environment["EDITOR"] = "/bin/sh " + editor.path
    environment["VISUAL"] = nil
    let edit = try await Infra.runOnTerminal(
      ["secrets", "edit", clear + ".age"], in: fixture.repo.url, answer: "",
      environment: environment)
    fixture.printed += [edit.stdout, edit.stderr]
    #expect(edit.code == 0, "\(edit)")
    #expect(try fixture.decrypt(clear + ".age") == second)
    let lines = try String(contentsOfFile: record, encoding: .utf8).split(separator: "\n")
    #expect(lines.last == "terminal", "the editor did not run on the terminal: \(lines)")
    #expect(try String(contentsOfFile: record + ".seen", encoding: .utf8) == first + "\n")
    let edited = try #require(lines.first.map(String.init))
    #expect(edited.hasPrefix("/dev/shm/infra-secret-"), "\(edited)")
    let folder = URL(fileURLWithPath: edited).deletingLastPathComponent().path
    #expect(!FileManager.default.fileExists(atPath: edited), "the clear file was left behind")
    #expect(!FileManager.default.fileExists(atPath: folder), "its folder was left behind")

    // An editor that changes nothing leaves the file as it was: no new ciphertext to commit.
    let before = try fixture.repo.read(clear + ".age")
    environment["EDITOR"] = "true"
    let unchanged = try await Infra.runOnTerminal(
      ["secrets", "edit", clear + ".age"], in: fixture.repo.url, answer: "",
      environment: environment)
    #expect(unchanged.stdout.contains("is unchanged"), "\(unchanged)")
    #expect(try fixture.repo.read(clear + ".age") == before)
    // A file encrypted for one more reader than infra.yaml names is not edited: encrypting it
    // again would take that reader away.
    let other = fixture.keys.appending("other.txt").path
    #expect(try ChildProcess.run("/usr/bin/age-keygen", ["-o", other]) == 0)
    let shared = try SecretsFixture.output(
      "/usr/bin/age",
      [
        "--encrypt", "--armor", "-i", fixture.keys.appending("identity.txt").path, "-r",
        try SecretsFixture.output("/usr/bin/age-keygen", ["-y", other]),
      ], input: first)
    try fixture.repo.write("resources/test/files/box/app/shared.age", shared)
    let refused = try await Infra.runOnTerminal(
      ["secrets", "edit", "resources/test/files/box/app/shared.age"], in: fixture.repo.url,
      answer: "", environment: environment)
    #expect(refused.code == 1, "\(refused)")
    #expect(
      refused.stdout.contains("is encrypted to 2 recipients, and infra.yaml names 1"), "\(refused)")
    #expect(try fixture.repo.readText("resources/test/files/box/app/shared.age") == shared)
    for output in fixture.printed + [unchanged.stdout, refused.stdout] {
      #expect(!output.contains(first) && !output.contains(second), "\(output)")
    }
  }

  @Test func aMissingIdentityFailsTheFilesThatNeedItAndNothingElse() async throws {
    var fixture = try SecretsFixture.onThisMachine("secrets-missing")
    let target = fixture.target
    fixture.environment["INFRA_TEST_AGE_IDENTITY"] = nil
    let missing = "INFRA_TEST_AGE_IDENTITY is not set"

    let validate = try await fixture.infra(["validate"])
    #expect(validate.code == 0, "\(validate)")
    #expect(
      validate.stderr.contains(
        "resources/test/files/box/app/db.pass.age: warning: cannot decrypt resources/test/files/box/app/db.pass.age: \(missing)"
      ), "\(validate)")
    #expect(validate.stderr.contains("hint: set INFRA_TEST_AGE_IDENTITY to the age identity"))

    let plan = try await fixture.infra(["plan"])
    #expect(plan.code == 1, "\(plan)")
    #expect(plan.stdout.contains("update \(target.path)/app/token: content changed (sensitive)"))
    #expect(plan.stdout.contains("password changed (sensitive)"), "\(plan)")
    #expect(
      plan.stdout.contains(
        "✗ test/files/box/app/db.pass.age on box: cannot decrypt resources/test/files/box/app/db.pass.age: \(missing)"
      ), "\(plan)")
    try fixture.expectNoSecretInAnyOutput(atLeast: 8)
  }

  @Test func aSavedPlanOfSecretsIsStaleWhenTheRepositoryOrWhatItShowsMoved() async throws {
    var fixture = try SecretsFixture.onThisMachine("secrets-stale")
    let target = fixture.target
    let saved = fixture.outputs.appending("saved.plan").path
    #expect(try await fixture.infra(["plan", "--out", saved]).code == 0)
    // The host got the file the plan creates: planned again, it is an update, not what the
    // reviewer saw.
    try target.write("app/db.pass", "by hand\n")
    let moved = try await fixture.infra(["apply", saved])
    #expect(moved.code == 1, "\(moved)")
    #expect(
      moved.stdout.contains(
        "test/files/box/app/db.pass.age on box: the saved plan is stale: it is not what it was on box when the plan was saved"
      ), "\(moved)")
    #expect(try target.readText("app/db.pass") == "by hand\n")

    // The encrypted file changed in the repository after the plan was saved.
    #expect(try await fixture.infra(["plan", "--out", saved]).code == 0)
    let sealed = try SecretsFixture.output(
      "/usr/bin/age",
      ["--encrypt", "-i", fixture.keys.appending("identity.txt").path, "--armor"],
      input: "another\n")
    try fixture.repo.write("resources/test/files/box/app/db.pass.age", sealed)
    let edited = try await fixture.infra(["apply", saved])
    #expect(edited.code == 1, "\(edited)")
    #expect(
      edited.stdout.contains(
        "the saved plan is stale: resources/test/files/box/app/db.pass.age changed since the plan was saved"
      ), "\(edited)")
    try fixture.expectNoSecretInAnyOutput(atLeast: 8)
  }

  @Test func anAgeFileOfAGroupIsPulledOnceWhenItsHostsAgree() async throws {
    let target = try TemporaryFolder("secrets-group-target")
    let locks = try TemporaryFolder("secrets-group-locks")
    // Two hosts on this machine share the target folder, so they have the same content.
    var fixture = try SecretsFixture(
      host: "  box: { connect: local, groups: [pair] }\n  box2: { connect: local, groups: [pair] }",
      target: target, locks: locks.path, identityFromFile: false)
    let sealed = try SecretsFixture.output(
      "/usr/bin/age",
      ["--encrypt", "--armor", "-i", fixture.keys.appending("identity.txt").path],
      input: "old\n")
    try fixture.repo.write("resources/test/files/@pair/shared/motd.age", sealed)
    try target.write("shared/motd", fixture.secrets["handEdit"]! + "\n")
    let pull = try await fixture.infra(["pull", "resources/test/files/@pair"])
    #expect(pull.code == 0, "\(pull)")
    #expect(!pull.stdout.contains("they differ"), "\(pull)")
    #expect(
      try fixture.decrypt("resources/test/files/@pair/shared/motd.age")
        == fixture.secrets["handEdit"]!)
    try fixture.expectNoSecretInAnyOutput(atLeast: 4)
  }
}
