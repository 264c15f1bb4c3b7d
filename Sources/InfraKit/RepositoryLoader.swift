import Foundation
import InfraConnectors
@_exported import InfraCore
@_exported import InfraEngine
import InfraTransport

/// Loads a repository with the connectors and transports built into `infra`: what a program
/// that embeds a run starts with.
///
/// ```swift
/// let loader = RepositoryLoader()
/// guard let repository = RepositoryLoader.find(from: folder) else { ... }
/// let loaded = await loader.load(repository)
/// guard let workspace = loaded.workspace else { /* loaded.diagnostics says why */ }
/// ```
public struct RepositoryLoader: Sendable {
  /// The connector types it knows: the builtin ones and external connector programs.
  package var registry: ConnectorRegistry

  /// A loader with the builtin connector types and external connector programs.
  public init() {
    registry = .builtin
  }

  /// The nearest folder at or above `folder` that holds `infra.yaml`, as git finds `.git`.
  public static func find(from folder: URL) -> Repository? {
    Repository.find(from: folder)
  }

  /// Loads the workspace of `repository`: `infra.yaml`, its inventory programs, every
  /// connector and every resource file, with every problem found. With `git`, what git says
  /// changed since its base is loaded too: resource files deleted since then become deletions,
  /// and a run can plan only the change set. Git missing, or the repository not in git, is an
  /// error only when the scope requires git.
  public func load(_ repository: Repository, git scope: GitScope? = nil) async
    -> LoadOutcome
  {
    await load(repository, git: scope, connecting: nil)
  }

  /// Loads the repository as `load(_:git:)` does, and meanwhile opens the SSH connections a
  /// run will need (those kept for `ssh_persist`), of the hosts `connecting` selects: the
  /// handshakes take place while the resource files load, `parallelism` at a time.
  package func load(
    _ repository: Repository, git scope: GitScope?,
    connecting: (@Sendable (InventoryHost) -> Bool)?, parallelism: Int = 10
  ) async -> LoadOutcome {
    // Git runs beside the loading: what it says is needed once the resource files are found,
    // and the hosts' handshakes need not wait for it. A scope that requires git waits for it
    // first: without it there is nothing to load, nor any host to connect to.
    let git = scope.map { scope in
      Task { () -> Result<(set: ChangeSet, git: Git), GitError>? in
        do {
          let git = try await Git.open(repository)
          return .success((try await git.changes(since: scope.base, stagedOnly: scope.staged), git))
        } catch let error as GitError {
          return .failure(error)
        } catch {
          return nil
        }
      }
    }
    if scope?.required == true, case .failure(let error)? = await git?.value {
      return LoadOutcome(
        workspace: nil, diagnostics: Diagnostics([.error(error.message, hint: error.hint)]),
        config: nil)
    }
    var warmUp: (@Sendable (Inventory) -> Void)?
    if let connecting {
      warmUp = { inventory in
        SSHWarmUp.start(inventory.hosts.filter { connecting($0) }, parallelism: parallelism)
      }
    }
    return await WorkspaceLoader(registry: registry, onInventory: warmUp)
      .load(repository) { try? await git?.value?.get() }
  }

  /// Loads `infra.yaml` and its inventory programs into a workspace without connectors, for
  /// work on hosts alone (a command, unlocking). With `names`, inventory programs are asked
  /// for those hosts only (pyinfra's inventory lookup by name), and not run at all when
  /// `infra.yaml` names them all.
  public func loadHosts(_ repository: Repository, names: [String]? = nil) async
    -> LoadOutcome
  {
    await WorkspaceLoader(registry: registry).loadHosts(repository, names: names)
  }
}

/// How a load compares the repository with git.
public struct GitScope: Sendable {
  /// The commit, branch or tag compared with (`HEAD` by default).
  public var base: String
  /// Whether only the index (what is staged) is compared.
  public var staged: Bool
  /// Whether the load cannot do without git (an option asked for it).
  public var required: Bool

  /// Compares with `HEAD`, work tree included, and does without git, unless told otherwise.
  public init(base: String = "HEAD", staged: Bool = false, required: Bool = false) {
    self.base = base
    self.staged = staged
    self.required = required
  }
}
