import ArgumentParser
import Foundation
import InfraConnectors
import InfraCore
import InfraEngine
import InfraTransport
import Logging

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
}

/// What a command works with: the console, the repository, and the steps most commands share.
struct Session {
  let console: Console
  let repository: Repository
  let directory: URL

  init(_ options: GlobalOptions, resultsOnStandardError: Bool = false) throws {
    let level: Logger.Level = options.verbose ? .debug : .warning
    LoggingSystem.bootstrap { label in
      var handler = StreamLogHandler.standardError(label: label)
      handler.logLevel = level
      return handler
    }
    let console = Console(color: options.color, resultsOnStandardError: resultsOnStandardError)
    let directory = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
    let start = options.repo.map { URL(fileURLWithPath: $0, relativeTo: directory) } ?? directory
    guard let found = Repository.find(from: start) else {
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
    let root = repository.root
    return DiagnosticRenderer(style: console.errorStyler) { file, line in
      let url = file.hasPrefix("/") ? URL(fileURLWithPath: file) : root.appending(path: file)
      guard let text = try? String(contentsOf: url, encoding: .utf8) else { return nil }
      let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
      return lines.indices.contains(line - 1) ? String(lines[line - 1]) : nil
    }
  }

  func report(_ diagnostics: some Sequence<Diagnostic>) {
    console.error(diagnosticRenderer.render(diagnostics))
  }

  /// Loads the workspace, printing every diagnostic; exits 1 when there is any error. With a
  /// git scope, the change set since its base is loaded too (deleted files become deletions);
  /// when git is not there, that is an error only if the scope requires git.
  func loadWorkspace(git scope: GitScope? = nil) async throws -> Workspace {
    var changes: (set: ChangeSet, git: Git)?
    if let scope {
      do {
        let git = try await Git.open(repository)
        changes = (try await git.changes(since: scope.base, stagedOnly: scope.staged), git)
      } catch let error as GitError where scope.required {
        report([.error(error.message, hint: error.hint)])
        throw ExitCode.failure
      } catch {
        changes = nil
      }
    }
    let outcome = await WorkspaceLoader(registry: .builtin).load(repository, changes: changes)
    report(outcome.diagnostics)
    guard let workspace = outcome.workspace else {
      console.error(
        console.errorStyler("infra: stopped before touching any host", .bold) + " ("
          + DiagnosticRenderer.count(outcome.diagnostics) + ").\n")
      throw ExitCode.failure
    }
    return workspace
  }

  /// Ends a command: with 130 or 143 when a signal interrupted it (whatever else happened
  /// meanwhile), with 1 when it failed, normally otherwise.
  func finish(failed: Bool) throws {
    if let code = Interrupts.exitCode { throw ExitCode(code) }
    if failed { throw ExitCode.failure }
  }

  /// Reads `infra.yaml` (and runs its inventory programs), for commands that need no
  /// resources; exits 1 on any error. Given host names and groups, a command needs only the
  /// hosts named: when there is no group among them, inventory programs are asked for those
  /// names alone (pyinfra's inventory lookup by name), which a large inventory answers faster.
  func loadConfig(for targets: [String]? = nil) async throws -> InfraConfig {
    var names: [String]?
    if let targets, !targets.isEmpty {
      names = targets.allSatisfy { !$0.hasPrefix("@") } ? targets : nil
    }
    let (config, diagnostics) = await WorkspaceLoader(registry: .builtin).loadConfig(
      repository, names: names)
    report(diagnostics.sorted)
    guard let config, !diagnostics.hasErrors else { throw ExitCode.failure }
    return config
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

  /// Command-line paths as address patterns; exits 1 naming every bad one.
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
    guard problems.isEmpty else {
      report(problems)
      throw ExitCode.failure
    }
    return patterns
  }
}

/// How a command compares the repository with git.
struct GitScope {
  var base: String
  var staged: Bool
  /// Whether the command cannot do without git (an option asked for it).
  var required: Bool
}
