import Foundation
import InfraTestSupport
import InfraTransport
import Testing

/// A connector shipped as a Python package: the SDK and the package installed with pip into a
/// virtual environment the test makes (offline: Debian's setuptools and wheel), enabled in
/// infra.yaml by its entry point's name, then planned, applied and pulled.
@Suite struct ConnectorPackageEndToEndTests {
  @Test func anInstalledPackageIsPlannedAppliedAndPulled() async throws {
    let work = try TemporaryFolder("package")
    let target = try TemporaryFolder("package-target")
    // pip builds in the source folder: copies, so the checkout stays as it is.
    for file in ["infra_connector.py", "pyproject.toml", "PROTOCOL.md"] {
      let source = Infra.projectRoot.appending(path: "connectors/\(file)")
      try work.write("sdk/\(file)", try String(contentsOf: source, encoding: .utf8))
    }
    try work.write("notes/pyproject.toml", Self.pyproject)
    try work.write("notes/infra_notes.py", Self.module)
    let venv = work.appending("venv").path
    let made = try await ChildProcess.runToEnd(
      "/usr/bin/python3", ["-m", "venv", "--system-site-packages", venv],
      stdout: work.appending("venv.log").path, stderr: work.appending("venv.log").path)
    let venvLog = try work.readText("venv.log")
    #expect(made == 0, "\(venvLog)")
    let pip = try await ChildProcess.runToEnd(
      "\(venv)/bin/pip",
      [
        "install", "--no-index", "--no-build-isolation", "--quiet", work.appending("sdk").path,
        work.appending("notes").path,
      ], stdout: work.appending("pip.log").path, stderr: work.appending("pip.log").path)
    let pipLog = try work.readText("pip.log")
    #expect(pip == 0, "\(pipLog)")

    let repo = try TemporaryFolder("package-repo")
    try repo.write("infra.yaml", Self.config(python: "\(venv)/bin/python", folder: target.path))
    try repo.write("resources/main/notes/box/hello", "hello from the repository\n")
    let connectors = try await Infra.run(["connectors"], in: repo.url)
    #expect(connectors.stdout.contains("Text notes in a folder of the host"), "\(connectors)")

    let plan = try await Infra.run(["plan"], in: repo.url)
    #expect(plan.code == 0 && plan.stdout.contains("create note hello"), "\(plan)")
    let apply = try await Infra.run(["apply", "--yes"], in: repo.url)
    #expect(apply.code == 0, "\(apply)")
    #expect(try target.readText("hello") == "hello from the repository\n")
    #expect(try await Infra.run(["plan", "--detailed-exitcode"], in: repo.url).code == 0)

    // A hand edit on the host, pulled back into the repository: then nothing to do.
    try target.write("hello", "edited on the host\n")
    let pull = try await Infra.run(["pull", "resources/main/notes"], in: repo.url)
    #expect(pull.code == 0, "\(pull)")
    #expect(pull.stdout.contains("live state of box"), "\(pull)")
    #expect(try repo.readText("resources/main/notes/box/hello") == "edited on the host\n")
    #expect(try await Infra.run(["plan", "--detailed-exitcode"], in: repo.url).code == 0)

    // A name no installed package offers: the program says which it has and what to do.
    try repo.write(
      "infra.yaml",
      Self.config(python: "\(venv)/bin/python", folder: target.path)
        .replacingOccurrences(of: "package: notes", with: "package: nosuch"))
    let unknown = try await Infra.run(["validate"], in: repo.url)
    #expect(unknown.code == 1)
    #expect(
      unknown.stderr.contains("no installed package offers the connector 'nosuch'")
        && unknown.stderr.contains("notes"), "\(unknown)")
  }

  static func config(python: String, folder: String) -> String {
    """
    version: 1
    hosts:
      box: { connect: local }
    prefixes:
      main:
        connectors:
          - name: notes
            package: notes
            python: \(python)
            options: { folder: \(folder) }
    """
  }

  static let pyproject = """
    [build-system]
    requires = ["setuptools>=61"]
    build-backend = "setuptools.build_meta"

    [project]
    name = "infra-notes"
    version = "0.1.0"
    dependencies = ["infra-connector"]

    [project.entry-points."infra.connectors"]
    notes = "infra_notes:Notes"

    [tool.setuptools]
    py-modules = ["infra_notes"]
    """

  /// A connector of text files in a folder of the host, that can pull.
  static let module = """
    import shlex
    from infra_connector import Connector, ConnectorError, Op, Option

    class Notes(Connector):
        summary = "Text notes in a folder of the host"
        options = [Option("folder", "string", "/tmp", "where the notes are")]

        def path(self, name):
            return self.settings["folder"] + "/" + name

        def read(self, host, name, desired):
            result = host.run("cat " + shlex.quote(self.path(name)))
            return result.text if result.exit_code == 0 else None

        def plan(self, host, name, desired, live):
            if desired == live:
                return None
            action = "create" if live is None else "update"
            return Op(action, f"{action} note {name}", payload=desired)

        def apply(self, host, name, action, payload):
            host.put(self.path(name), payload.encode())

        def render(self, host, name, desired, live):
            return live
    """
}
