import Foundation
import InfraCore
import InfraTransport

/// What git says changed in a repository's resource files since a base commit: what
/// `infra plan --changed` plans, and the only deletions any plan makes.
///
/// Paths are relative to the repository root (the folder of `infra.yaml`), as plans show them.
package struct ChangeSet: Hashable, Sendable, Codable {
  /// The base as it was named (`HEAD`, `origin/main`).
  package var base: String
  /// The commit the base resolved to; `nil` in a repository without commits.
  package var baseCommit: String?
  /// Whether only the index (staged changes) was compared with the base.
  package var stagedOnly: Bool
  /// Resource files that exist now and differ from the base: modified, added, untracked, or the
  /// new name of a renamed file.
  package var changed: Set<String>
  /// Resource files of the base that are gone now, including the old name of a renamed file.
  package var deleted: [String]
  /// Whether `infra.yaml` differs from the base, which can change what every resource means.
  package var configChanged: Bool

  package init(
    base: String, baseCommit: String?, stagedOnly: Bool = false, changed: Set<String> = [],
    deleted: [String] = [], configChanged: Bool = false
  ) {
    self.base = base
    self.baseCommit = baseCommit
    self.stagedOnly = stagedOnly
    self.changed = changed
    self.deleted = deleted
    self.configChanged = configChanged
  }

  /// The base for people: `origin/main (3f2a9c1)`.
  package var baseDescription: String {
    guard let baseCommit else { return "\(base) (no commit yet)" }
    return base == baseCommit ? String(baseCommit.prefix(12)) : "\(base) (\(baseCommit.prefix(12)))"
  }

  /// Whether a plan of the change set includes `resource`: its files changed, it was deleted, or
  /// `infra.yaml` changed (which plans everything).
  package func includes(_ resource: Resource) -> Bool {
    configChanged || resource.removed || resource.sources.contains(where: changed.contains)
  }
}

/// A problem with git that keeps an option from working, with what to do about it.
package struct GitError: Error, Hashable, Sendable, CustomStringConvertible {
  package var message: String
  package var hint: String?

  package var description: String { message }
}

/// The git repository around an `infra` repository, read with the `git` command line.
package struct Git: Sendable {
  package let repository: Repository
  /// The repository root's path inside the git work tree, `""` or ending in `/`.
  let prefix: String

  /// Opens the git work tree holding `repository`; throws when git is missing or there is none.
  package static func open(_ repository: Repository) async throws -> Git {
    let result: CommandResult
    do {
      result = try await LocalProgram.run(
        "git", ["-C", repository.root.path, "rev-parse", "--show-prefix"])
    } catch {
      throw GitError(
        message: "git is not installed or cannot be started: \(error)",
        hint: "install git, or leave out the options that read the repository's history")
    }
    guard result.succeeded else {
      throw GitError(
        message: "\(repository.root.path) is not inside a git repository",
        hint:
          "run `git init` and commit the repository, or leave out --changed, --staged and --base")
    }
    return Git(
      repository: repository,
      prefix: result.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines))
  }

  /// Runs git in the repository root; throws with git's own message when it fails.
  func git(_ arguments: [String], input: Data? = nil) async throws -> CommandResult {
    let result = try await LocalProgram.run(
      "git", ["-C", repository.root.path] + arguments, input: input)
    guard result.succeeded else {
      let message = result.stderrText.trimmingCharacters(in: .whitespacesAndNewlines)
      throw GitError(message: "git \(arguments.joined(separator: " ")) failed: \(message)")
    }
    return result
  }

  /// The commit `ref` names, or `nil` when it names none.
  package func commit(_ ref: String) async throws -> String? {
    let result = try await LocalProgram.run(
      "git",
      [
        "-C", repository.root.path, "rev-parse", "--verify", "--quiet", "--end-of-options",
        ref + "^{commit}",
      ])
    guard result.succeeded else { return nil }
    return result.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
  }

  /// The commit checked out now and whether the work tree differs from it, for saved plans.
  package func head() async throws -> (commit: String?, dirty: Bool) {
    let commit = try await commit("HEAD")
    let status = try await git(["status", "--porcelain", "-z", "--", "."])
    return (commit, !status.stdout.isEmpty)
  }

  /// Compares the work tree (or with `stagedOnly` the index) with `base`.
  package func changes(since base: String, stagedOnly: Bool) async throws -> ChangeSet {
    let scope = ["--", Repository.resourcesFolderName, Repository.configFileName]
    guard let baseCommit = try await commit(base) else {
      guard base == "HEAD" else {
        throw GitError(
          message: "git knows no commit named '\(base)'",
          hint: "name a branch, tag or commit, e.g. --base origin/main (fetch it first)")
      }
      // No commit yet: everything in the index (and the work tree) is new.
      var arguments = ["ls-files", "-z", "--cached"]
      if !stagedOnly { arguments += ["--others", "--exclude-standard"] }
      let files = try await git(arguments + scope).stdout.nulSeparated
      var set = ChangeSet(base: base, baseCommit: nil, stagedOnly: stagedOnly)
      for file in files { set.record(changed: file) }
      return set
    }
    var set = ChangeSet(base: base, baseCommit: baseCommit, stagedOnly: stagedOnly)
    var diff = ["diff", "--name-status", "-z", "--find-renames", "--relative", "--no-ext-diff"]
    if stagedOnly { diff.append("--cached") }
    let fields = try await git(diff + [baseCommit] + scope).stdout.nulSeparated
    var index = 0
    while index < fields.count {
      let status = fields[index]
      index += 1
      switch status.first {
      case "R", "C":
        guard index + 1 < fields.count else { break }
        if status.first == "R" { set.record(deleted: fields[index]) }
        set.record(changed: fields[index + 1])
        index += 2
      case "D":
        guard index < fields.count else { break }
        set.record(deleted: fields[index])
        index += 1
      default:
        guard index < fields.count else { break }
        set.record(changed: fields[index])
        index += 1
      }
    }
    if !stagedOnly {
      let untracked = try await git(["ls-files", "-z", "--others", "--exclude-standard"] + scope)
      for file in untracked.stdout.nulSeparated { set.record(changed: file) }
    } else {
      // Staged content is what gets reviewed; a file with more changes in the work tree would
      // be planned from content nobody staged.
      let unstaged = try await git(["diff", "--name-only", "-z", "--relative"] + scope)
      let mixed = unstaged.stdout.nulSeparated.filter {
        set.changed.contains($0) || $0 == Repository.configFileName
      }
      if !mixed.isEmpty {
        throw GitError(
          message:
            "--staged plans what is staged, but these files also have unstaged changes: \(mixed.sorted().joined(separator: ", "))",
          hint: "stage them (git add) or stash the rest (git stash --keep-index), then plan again")
      }
    }
    set.deleted.sort()
    return set
  }

  /// The content of each of `paths` (repository-relative) at `commit`, in order: one
  /// `git cat-file --batch` for them all, and one `git cat-file blob` for each name holding a
  /// line break, which the batch's line-based input cannot carry.
  package func contents(of paths: [String], at commit: String) async throws -> [Data] {
    let batched = paths.filter { !$0.contains("\n") }
    var found = Dictionary(
      uniqueKeysWithValues: zip(batched, try await batchContents(of: batched, at: commit)))
    for path in paths where path.contains("\n") {
      found[path] = try await git(["cat-file", "blob", "\(commit):\(prefix)\(path)"]).stdout
    }
    return paths.map { found[$0] ?? Data() }
  }

  private func batchContents(of paths: [String], at commit: String) async throws -> [Data] {
    guard !paths.isEmpty else { return [] }
    let request = paths.map { "\(commit):\(prefix)\($0)\n" }.joined()
    let output = try await git(["cat-file", "--batch"], input: Data(request.utf8)).stdout
    var contents: [Data] = []
    var position = output.startIndex
    for path in paths {
      guard let newline = output[position...].firstIndex(of: UInt8(ascii: "\n")) else {
        throw GitError(message: "git cat-file ended early, before \(path)")
      }
      let header = String(decoding: output[position..<newline], as: UTF8.self)
      let parts = header.split(separator: " ")
      guard parts.count == 3, parts[1] == "blob", let size = Int(parts[2]) else {
        throw GitError(message: "git cannot show \(path) at \(commit.prefix(12)): \(header)")
      }
      let start = output.index(after: newline)
      let end = start + size
      guard end <= output.endIndex else {
        throw GitError(message: "git cat-file ended early, inside \(path)")
      }
      contents.append(Data(output[start..<end]))
      position = min(end + 1, output.endIndex)
    }
    return contents
  }
}

extension ChangeSet {
  fileprivate mutating func record(changed path: String) {
    if path == Repository.configFileName {
      configChanged = true
    } else if path.hasPrefix(Repository.resourcesFolderName + "/") {
      changed.insert(path)
    }
  }

  fileprivate mutating func record(deleted path: String) {
    if path == Repository.configFileName {
      configChanged = true
    } else if path.hasPrefix(Repository.resourcesFolderName + "/") {
      deleted.append(path)
    }
  }
}

extension Data {
  /// The NUL-terminated fields of git's `-z` output.
  fileprivate var nulSeparated: [String] {
    split(separator: 0, omittingEmptySubsequences: true).map {
      String(decoding: $0, as: UTF8.self)
    }
  }
}
