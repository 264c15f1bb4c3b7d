import Foundation
import InfraTestSupport
import Testing

/// Mistakes in packages, groups, users and services files: each one reported at its file,
/// line and column, with what to do, all in one `infra validate`.
@Suite struct SystemValidationEndToEndTests {
  @Test func everyMistakeIsLocated() async throws {
    let repo = try TemporaryFolder("system-validation")
    try repo.write(
      "infra.yaml",
      """
      version: 1
      hosts:
        web: { connect: local, groups: [front, back] }
      prefixes:
        srv:
          connectors:
            - { name: packages }
            - { name: groups }
            - { name: users }
            - { name: services }
      """)
    let files: [String: String] = [
      "packages/web.yaml": "install: nginx\n",
      "packages/@front.yaml":
        "install:\n  - \"Bad Name\"\n  - hello: \"1.0 beta\"\n  - curl\nabsent: [curl]\n",
      "packages/@back.yaml": "install:\n  - wget: latest\n",
      "packages/@front/more.yaml": "install: [wget]\n",
      "packages/@back/extra.yaml": "install: [wget]\n",
      "services/web/nginx.yaml": "state: started\nreload_on: [etc/nginx]\n",
      "services/web/sub/x.yaml": "state: running\n",
      "users/web/deploy.yaml":
        "shel: /bin/sh\nshell: bash\nuid: -1\ncomment: \"a:b\"\nauthorized_keys: [notakey]\n",
      "groups/web/team.yaml": "gid: abc\n",
    ]
    for (path, content) in files { try repo.write("resources/srv/\(path)", content) }
    let validate = try await Infra.run(["validate"], in: repo.url)
    #expect(validate.code == 1, "\(validate)")
    let said = validate.stdout + validate.stderr
    let expected = [
      "resources/srv/packages/web.yaml:1:10: error: expected a list for 'install', found a string",
      "resources/srv/packages/@front.yaml:2:5: error: 'Bad Name' is not a Debian package name",
      "resources/srv/packages/@front.yaml:3:12: error: '1.0 beta' is not a package version",
      "resources/srv/packages/@front.yaml:5:10: error: package 'curl' is named twice in this file",
      "resources/srv/packages/@back/extra.yaml:1:11: error: package 'wget' is named by resources/srv/packages/@back/extra.yaml and resources/srv/packages/@back.yaml, both for @back",
      "error: host web gets package 'wget' differently from",
      "resources/srv/services/web/nginx.yaml:1:8: error: 'state' must be 'running' or 'stopped', not 'started'",
      "resources/srv/services/web/nginx.yaml:2:13: error: 'etc/nginx' in 'reload_on' is neither an absolute path nor package:NAME",
      "resources/srv/services/web/sub/x.yaml: error: resources/srv/services/web/sub/x.yaml is not where the services connector looks for its files",
      "resources/srv/users/web/deploy.yaml:1:1: error: unknown key 'shel' in a user file",
      "did you mean 'shell'?",
      "resources/srv/users/web/deploy.yaml:2:8: error: 'shell' must be an absolute path, not 'bash'",
      "resources/srv/users/web/deploy.yaml:3:6: error: 'uid' must be between 0 and 2147483647, not -1",
      "resources/srv/users/web/deploy.yaml:4:10: error: 'comment' cannot hold ':' or a line break",
      "resources/srv/users/web/deploy.yaml:5:19: error: this is not one public key line",
      "resources/srv/groups/web/team.yaml:1:6: error: expected an integer for 'gid', found a string",
    ]
    for line in expected {
      #expect(said.contains(line), "\(line)\n\(validate)")
    }
  }
}
