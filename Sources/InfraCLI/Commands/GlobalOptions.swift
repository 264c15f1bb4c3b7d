import ArgumentParser
import Foundation
import InfraCore
import InfraEngine
import InfraKit

/// Options every command takes.
struct GlobalOptions: ParsableArguments {
  @Option(
    name: [.customShort("C"), .customLong("repo")],
    help: ArgumentHelp(
      "The repository folder (default: the nearest folder holding infra.yaml, from here upwards).",
      valueName: "folder"))
  var repo: String?

  @Flag(
    inversion: .prefixedNo,
    help: "Colour the output (default: on for a terminal, off when NO_COLOR is set).")
  var color: Bool?

  @Flag(
    name: .shortAndLong,
    help: "Log every command run on a host and every connector call to standard error.")
  var verbose = false

  /// Where the repository is looked for: `-C FOLDER`, or the current folder; upwards from there.
  static func start(_ repo: String?) -> URL {
    let here = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
    return repo.map { URL(fileURLWithPath: $0, relativeTo: here) } ?? here
  }
}

/// What a command works with: the console, the repository, and the steps most commands share
/// (loading through the library, rendering what it found).
struct Session {
  let console: Console
  let repository: Repository
  let directory: URL

  init(_ options: GlobalOptions, resultsOnStandardError: Bool = false) throws {
    Verbosity.set(debug: options.verbose)
    let console = Console(color: options.color, resultsOnStandardError: resultsOnStandardError)
    let directory = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
    let start = GlobalOptions.start(options.repo)
    guard let found = RepositoryLoader.find(from: start) else {
      let place = options.repo.map { "in \($0)" } ?? "in \(directory.path) or any folder above it"
      let diagnostic = Diagnostic.error(
        "there is no \(Repository.configFileName) \(place)",
        hint: "run infra inside a repository, or name one with -C FOLDER")
      console.error(DiagnosticRenderer(style: console.errorStyler).render(diagnostic))
      throw ExitCode.failure
    }
    self.console = console
    self.directory = directory
    repository = found
  }

  var diagnosticRenderer: DiagnosticRenderer {
    DiagnosticRenderer.forRepository(repository, style: console.errorStyler)
  }

  func report(_ diagnostics: some Sequence<Diagnostic>) {
    console.error(diagnosticRenderer.render(diagnostics))
  }

  /// Loads the workspace, printing every diagnostic; exits 1 when there is any error. With a
  /// git scope, the change set since its base is loaded too (deleted files become deletions).
  func loadWorkspace(git scope: GitScope? = nil) async throws -> Workspace {
    try checked(await RepositoryLoader().load(repository, git: scope))
  }

  /// Loads the workspace as `loadWorkspace(git:)` does, opening meanwhile the connections to
  /// the hosts `connecting` selects (for a run that plans or applies), `parallelism` at a time.
  func loadWorkspace(
    git scope: GitScope?, connecting: @escaping @Sendable (InventoryHost) -> Bool,
    parallelism: Int
  ) async throws -> Workspace {
    try checked(
      await RepositoryLoader().load(
        repository, git: scope, connecting: connecting, parallelism: parallelism))
  }

  /// Loads the hosts of `infra.yaml` (and runs its inventory programs), for commands that need
  /// no resources; exits 1 on any error. Given host names and groups, a command needs only the
  /// hosts named: when there is no group among them, inventory programs are asked for those
  /// names alone, which a large inventory answers faster.
  func loadHosts(for targets: [String]? = nil) async throws -> Workspace {
    var names: [String]?
    if let targets, !targets.isEmpty {
      names = targets.allSatisfy { !$0.hasPrefix("@") } ? targets : nil
    }
    return try checked(await RepositoryLoader().loadHosts(repository, names: names))
  }

  private func checked(_ outcome: WorkspaceLoader.Outcome) throws -> Workspace {
    report(outcome.diagnostics)
    guard let workspace = outcome.workspace else {
      console.error(
        console.errorStyler("infra: stopped before touching any host", .bold) + " ("
          + DiagnosticRenderer.count(outcome.diagnostics) + ").\n")
      throw ExitCode.failure
    }
    return workspace
  }

  /// The hosts that names and `@groups` select, each once in inventory order; exits 1 naming
  /// every unknown one.
  func hosts(_ targets: [String], in inventory: Inventory) throws -> [InventoryHost] {
    var problems: [Diagnostic] = []
    for target in targets {
      switch HostSelector(parsing: target) {
      case .host(let name) where inventory.host(named: name) == nil:
        let names = inventory.hosts.map(\.name)
        var hint = "hosts: \(names.joined(separator: ", "))"
        if let match = closestMatch(to: name, in: names) {
          hint = "did you mean '\(match)'? " + hint
        }
        problems.append(.error("there is no host '\(name)' in infra.yaml", hint: hint))
      case .group(let name) where !inventory.groupNames.contains(name):
        problems.append(
          .error(
            "there is no group '@\(name)' in infra.yaml",
            hint: "groups: \(inventory.groupNames.map { "@\($0)" }.joined(separator: ", "))"))
      default: break
      }
    }
    guard problems.isEmpty else {
      report(problems)
      throw ExitCode.failure
    }
    return inventory.resolve(targets.map(HostSelector.init(parsing:)))
  }

  /// Command-line paths as address patterns; exits 1 naming every bad one, and every one that
  /// selects no resource.
  func patterns(_ paths: [String], in workspace: Workspace) throws -> [AddressPattern] {
    let prefixes = workspace.config.prefixes.map(\.name)
    var patterns: [AddressPattern] = []
    var problems: [Diagnostic] = []
    for path in paths {
      switch repository.pattern(for: path, from: directory, prefixes: prefixes) {
      case .success(let pattern): patterns.append(pattern)
      case .failure(let diagnostic): problems.append(diagnostic)
      }
    }
    problems += workspace.unmatched(patterns)
    guard problems.isEmpty else {
      report(problems)
      throw ExitCode.failure
    }
    return patterns
  }
}
