import Foundation
import InfraTestSupport
import InfraTransport
import Testing

/// `infra lsp`: the protocol, message by message, and a real editor (Neovim, headless) using
/// it as a user's would.
@Suite struct LanguageServerEndToEndTests {
  /// Lines (from 0) matter: the requests below point into them.
  static let config = """
    version: 1
    hosts:
      web1:
        connect: local
        groups: [web]
      web2: { conect: local, groups: [web] }
    prefixes:
      demo:
        connectors:
          - name: files
            options:
              root: /tmp/x
          - name: more
            type: files
            hosts: [web1]

    """

  static func repository() throws -> TemporaryFolder {
    let repo = try TemporaryFolder("lsp-repo")
    try repo.write("infra.yaml", config)
    try repo.write("resources/demo/files/web1/etc/motd", "hello\n")
    return repo
  }

  @Test func theProtocolMessageByMessage() async throws {
    let repo = try Self.repository()
    let uri = repo.url.appending(path: "infra.yaml").absoluteString
    let fixed = Self.config.replacingOccurrences(of: "conect", with: "connect")
    let attributes = repo.url.appending(path: "resources/demo/files/web1/etc/.infra-attrs.yaml")
      .absoluteString
    func at(_ line: Int, _ character: Int) -> [String: Any] {
      ["textDocument": ["uri": uri], "position": ["line": line, "character": character]]
    }
    let answers = try await LSPSession.run(
      [
        ["id": 1, "method": "initialize", "params": ["rootUri": repo.url.absoluteString]],
        ["method": "initialized", "params": [:]],
        [
          "method": "textDocument/didOpen",
          "params": ["textDocument": ["uri": uri, "version": 1, "text": Self.config]],
        ],
        [
          "method": "textDocument/didChange",
          "params": [
            "textDocument": ["uri": uri, "version": 2], "contentChanges": [["text": fixed]],
          ],
        ],
        ["id": 2, "method": "textDocument/completion", "params": at(3, 7)],
        ["id": 3, "method": "textDocument/completion", "params": at(14, 20)],
        ["id": 4, "method": "textDocument/completion", "params": at(13, 14)],
        ["id": 5, "method": "textDocument/completion", "params": at(11, 11)],
        ["id": 6, "method": "textDocument/hover", "params": at(11, 11)],
        ["id": 7, "method": "textDocument/hover", "params": at(14, 17)],
        ["id": 8, "method": "textDocument/hover", "params": at(4, 14)],
        ["id": 9, "method": "textDocument/definition", "params": at(14, 17)],
        ["id": 10, "method": "textDocument/definition", "params": at(4, 14)],
        ["id": 11, "method": "workspace/symbol", "params": [:]],
        // An attributes file, unsaved: its mistake is reported where it is, its keys hovered.
        [
          "method": "textDocument/didOpen",
          "params": [
            "textDocument": ["uri": attributes, "version": 1, "text": "owner: root\nmode: rw\n"]
          ],
        ],
        [
          "id": 13, "method": "textDocument/hover",
          "params": [
            "textDocument": ["uri": attributes], "position": ["line": 0, "character": 2],
          ],
        ],
        ["id": 12, "method": "shutdown"],
        ["method": "exit"],
      ], in: repo.url)
    #expect(answers.code == 0)
    let capabilities = answers.result(1)?["capabilities"] as? [String: Any]
    #expect(capabilities?["hoverProvider"] as? Bool == true)
    // Diagnostics for the text as opened, then none once it is mended.
    let published = answers.notifications("textDocument/publishDiagnostics")
    let first = (published.first?["diagnostics"] as? [[String: Any]]) ?? []
    #expect(
      first.contains {
        ($0["message"] as? String)?.hasPrefix("unknown key 'conect' in host 'web2'") == true
          && LSPSession.start(of: $0) == [5, 10]
      }, "\(published)")
    let onConfig = published.filter { $0["uri"] as? String == uri }
    #expect((onConfig.last?["diagnostics"] as? [Any])?.isEmpty == true, "\(published)")
    #expect(answers.labels(2) == ["connect"])
    #expect(answers.labels(3) == ["web1"])
    #expect(answers.labels(4) == ["files", "groups", "packages", "postgres", "services", "users"])
    #expect(answers.labels(5) == ["root"])
    #expect(answers.hover(6)?.contains("folder on every host") == true, "\(answers.hover(6) ?? "")")
    #expect(answers.hover(7) == "host **web1**: `connect: local`, groups @web")
    #expect(answers.hover(8) == "group **@web**: web1, web2")
    #expect(LSPSession.start(of: answers.result(9) ?? [:]) == [2, 2])
    #expect(LSPSession.start(of: answers.result(10) ?? [:]) == [4, 13])
    #expect(answers.error(11) == -32601)
    let onAttributes = published.filter { $0["uri"] as? String == attributes }
    #expect(
      (onAttributes.last?["diagnostics"] as? [[String: Any]] ?? []).contains {
        ($0["message"] as? String)?.hasPrefix("'rw' is not a file mode") == true
          && LSPSession.start(of: $0) == [1, 6]
      }, "\(onAttributes)")
    #expect(answers.hover(13) == "**owner**: the files' owner")
    // The repository's own file was never written: the edits lived in the editor.
    #expect(
      !FileManager.default.fileExists(
        atPath: repo.appending("resources/demo/files/web1/etc/.infra-attrs.yaml").path))
    #expect(try repo.readText("infra.yaml") == Self.config)
  }

  @Test func exitWithoutShutdownIsAnError() async throws {
    let repo = try Self.repository()
    let answers = try await LSPSession.run(
      [
        ["id": 1, "method": "initialize", "params": ["rootUri": repo.url.absoluteString]],
        ["method": "exit"],
      ], in: repo.url)
    #expect(answers.code == 1)
  }

  /// Neovim opens the repository's infra.yaml, gets its diagnostics where the mistake is,
  /// completes a host name being typed, hovers an option and a host, and jumps to a host.
  @Test func neovimUsesItAsAnEditorWould() async throws {
    let repo = try Self.repository()
    let scratch = try TemporaryFolder("lsp-neovim")
    let out = scratch.appending("results.json").path
    var environment = Infra.environment(scratch: scratch)
    environment["REPO"] = repo.path
    environment["OUT"] = out
    environment["INFRA"] = Infra.binary.path
    for variable in ["XDG_STATE_HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"] {
      environment[variable] = scratch.path  // Neovim's own files, this test's alone
    }
    let script = Infra.projectRoot.appending(path: "Tests/Fixtures/lsp-neovim.lua").path
    let neovim = try ChildProcess.start(
      "/usr/bin/nvim", ["--headless", "-u", "NONE", "-i", "NONE", "-n", "-c", "luafile \(script)"],
      directory: repo.path, environment: environment, stdout: scratch.appending("nvim.log").path,
      stderr: scratch.appending("nvim.log").path)
    let code = await neovim.waitForExit().code
    let log = (try? scratch.readText("nvim.log")) ?? ""
    #expect(code == 0, "\(log)")
    let results = try #require(
      try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out)))
        as? [String: Any], "\(log)")
    #expect((results["errors"] as? [Any])?.isEmpty == true, "\(results)")
    let diagnostics = results["diagnostics"] as? [[String: Any]] ?? []
    #expect(
      diagnostics.contains {
        $0["line"] as? Int == 5 && $0["column"] as? Int == 10
          && ($0["message"] as? String)?.contains("unknown key 'conect'") == true
      }, "\(results)")
    let completion = results["completion"] as? [String] ?? []
    #expect(completion.contains("web1") && completion.contains("web2"), "\(results)")
    #expect(
      (results["hover_option"] as? String)?.contains("**root** (string)") == true, "\(results)")
    #expect((results["hover_host"] as? String)?.contains("host **web1**") == true, "\(results)")
    let definition = results["definition"] as? [String: Any] ?? [:]
    #expect(LSPSession.start(of: definition) == [2, 2], "\(results)")
    #expect(results["exit"] as? Int == 0, "\(results)")
  }
}
