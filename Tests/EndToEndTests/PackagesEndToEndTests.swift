import Foundation
import InfraTestSupport
import Testing

/// The packages connector on a booted Debian test host, against packages this test builds and
/// serves from a file-based apt repository inside the host: installed, upgraded to the latest,
/// pinned, held, downgraded only when allowed, removed; everything checked with dpkg-query.
@Suite struct PackagesEndToEndTests {
  static let hello1 = AptRepository.Package(
    "infra-hello", "1.0", files: ["/usr/share/infra-hello/version": "1.0\n"])
  static let hello2 = AptRepository.Package(
    "infra-hello", "2.0", files: ["/usr/share/infra-hello/version": "2.0\n"])
  static let extra = AptRepository.Package(
    "infra-extra", "1.0", files: ["/usr/share/infra-extra/marker": "extra\n"],
    depends: "infra-hello")

  @Test func packagesAreInstalledUpgradedPinnedAndRemoved() async throws {
    let fixture = try await ServerFixture()
    let apt = AptRepository(fixture.host.repository)
    try await apt.publish([Self.hello1, Self.extra])

    // Installed: the plan names each package with the version it gets, and what apt adds.
    try fixture.write("packages/web.yaml", "install:\n  - infra-extra\n")
    let plan = try await fixture.infra("plan")
    #expect(plan.code == 0, "\(plan)")
    #expect(plan.stdout.contains("install infra-extra 1.0"), "\(plan)")
    #expect(plan.stdout.contains("also installs infra-hello 1.0 (a dependency)"), "\(plan)")
    let (apply, trips) = try await fixture.measured("apply", "--yes")
    #expect(apply.code == 0, "\(apply)")
    // One read, one simulation for the plan, one apt-get for the apply.
    #expect(trips["srv/packages"] == 3, "\(trips)")
    #expect(try await versions(fixture) == ["infra-extra": "1.0", "infra-hello": "1.0"])
    #expect(try await fixture.infra("plan", "--detailed-exitcode").code == 0)

    // Latest: a new version in the repository is an upgrade the plan shows.
    try fixture.write("packages/web.yaml", "install:\n  - infra-extra\n  - infra-hello: latest\n")
    #expect(try await fixture.infra("plan", "--detailed-exitcode").code == 0)
    try await apt.publish([Self.hello2])
    let upgrade = try await fixture.infra("apply", "--yes")
    #expect(upgrade.code == 0, "\(upgrade)")
    #expect(upgrade.stdout.contains("upgrade infra-hello 1.0 → 2.0"), "\(upgrade)")
    #expect(try await versions(fixture)["infra-hello"] == "2.0")
    #expect(try await fixture.infra("plan", "--detailed-exitcode").code == 0)

    // Pinned lower: a downgrade is refused until the file allows it.
    try fixture.write("packages/web.yaml", "install:\n  - infra-extra\n  - infra-hello: \"1.0\"\n")
    let refused = try await fixture.infra("plan")
    #expect(refused.code == 1, "\(refused)")
    #expect(
      refused.stdout.contains(
        "infra-hello 2.0 is installed on web, and 1.0 would be a downgrade; set `allow_downgrade: true`"
      ),
      "\(refused)")
    try fixture.write(
      "packages/web.yaml",
      "install:\n  - infra-extra\n  - infra-hello: \"1.0\"\nallow_downgrade: true\n")
    let downgrade = try await fixture.infra("apply", "--yes")
    #expect(downgrade.code == 0, "\(downgrade)")
    #expect(downgrade.stdout.contains("downgrade infra-hello 2.0 → 1.0"), "\(downgrade)")
    #expect(try await versions(fixture)["infra-hello"] == "1.0")

    // Held: a held package is not changed unless the file allows it.
    _ = try await fixture.host.must("apt-mark hold infra-hello")
    try fixture.write("packages/web.yaml", "install:\n  - infra-extra\n  - infra-hello: \"2.0\"\n")
    let held = try await fixture.infra("plan")
    #expect(held.code == 1, "\(held)")
    #expect(held.stdout.contains("infra-hello is held on web (apt-mark hold)"), "\(held)")
    #expect(try await versions(fixture)["infra-hello"] == "1.0")
    try fixture.write(
      "packages/web.yaml", "install:\n  - infra-extra\n  - infra-hello: \"2.0\"\nallow_held: true\n"
    )
    let unheld = try await fixture.infra("apply", "--yes")
    #expect(unheld.code == 0, "\(unheld)")
    #expect(unheld.stdout.contains("(held: held again after the change)"), "\(unheld)")
    #expect(try await versions(fixture)["infra-hello"] == "2.0")
    // apt lifts a hold as it changes the package: it is held again.
    #expect(try await fixture.host.must("apt-mark showhold") == "infra-hello")
    _ = try await fixture.host.must("apt-mark unhold infra-hello")

    // Removing what another wanted package needs is refused at plan time; absent removes.
    try fixture.write("packages/web.yaml", "install: [infra-extra]\nabsent: [infra-hello]\n")
    let conflict = try await fixture.infra("plan")
    #expect(conflict.code == 1, "\(conflict)")
    #expect(conflict.stdout.contains("would also remove infra-extra"), "\(conflict)")
    try fixture.write("packages/web.yaml", "absent: [infra-extra]\n")
    let removed = try await fixture.infra("apply", "--yes")
    #expect(removed.code == 0, "\(removed)")
    #expect(removed.stdout.contains("remove infra-extra 1.0"), "\(removed)")
    #expect(try await versions(fixture) == ["infra-hello": "2.0"])
    #expect(try await fixture.infra("plan", "--detailed-exitcode").code == 0)

    // A package no source offers is an error of the plan, before anything changes.
    try fixture.write("packages/web.yaml", "install: [infra-nowhere]\n")
    let missing = try await fixture.infra("plan")
    #expect(missing.code == 1, "\(missing)")
    #expect(missing.stdout.contains("no source on web offers package infra-nowhere"), "\(missing)")
    await fixture.host.shutdown()
  }

  /// The installed infra test packages and their versions, as dpkg says.
  private func versions(_ fixture: ServerFixture) async throws -> [String: String] {
    let output = try await fixture.host.must(
      "dpkg-query -W -f='${Package} ${Version} ${db:Status-Abbrev}\\n' 'infra-*' 2>/dev/null || true"
    )
    var versions: [String: String] = [:]
    for line in output.split(separator: "\n") {
      let words = line.split(separator: " ")
      if words.count >= 3, words[2].dropFirst().hasPrefix("i") {
        versions[String(words[0])] = String(words[1])
      }
    }
    return versions
  }
}
