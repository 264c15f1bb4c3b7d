import Foundation
import InfraCore
import InfraEngine
import InfraTransport

/// Compares desired and live files of one host and proposes ops with messages and diffs.
struct FilesPlanner {
  let settings: FilesConnector.Settings
  let host: InventoryHost
  let transport: any Transport

  func plan(_ items: [PlanItem]) async throws -> PlanResponse {
    let found = settings.findings.found(on: host.name)
    // One pass over the items, each decoded once and dropped unless it comes to something:
    // a plan of many unchanged files holds none of them. Those whose diff needs the file's
    // live content wait for it, fetched for all of them in one command.
    var (outcomes, waiting) = try planSlices(items, found)
    let fetched = try await LiveContentFetcher.fetch(
      waiting.map(\.desired.path), through: transport, writer: settings.writer)
    for (index, address, desired, live) in waiting {
      if let outcome = try plan(
        desired, live: live, liveContent: fetched[desired.path], at: index, address, found)
      {
        outcomes.append(outcome)
      }
    }
    if !waiting.isEmpty { outcomes.sort { $0.index < $1.index } }
    var response = PlanResponse()
    var strays = settings.strays.found(on: host.name)
    var hooks = Hooks()
    for outcome in outcomes {
      if let problem = outcome.problem { response.problems.append(problem) }
      guard var op = outcome.op else { continue }
      let desired = outcome.desired
      hooks.note(desired)
      // The installer removes them as it writes into their folder: the first write there
      // says so.
      let folder = Self.folder(of: desired.path)
      if let found = strays[folder], (try? FileOp(json: op.payload))?.kind == .write {
        op.details.append(Self.describe(strays: found))
        strays[folder] = nil
      }
      response.ops.append(op)
    }
    hooks.attach(to: &response.ops)
    return response
  }

  /// What one file came to: an op, a problem, or both (an op on the condition the problem
  /// names), at its index among the items.
  struct Outcome {
    var index: Int
    var desired: DesiredFile
    var op: PlannedOp?
    var problem: ResourceProblem?
  }

  func plan(
    _ desired: DesiredFile, live: LiveFile?, liveContent: Data?, at index: Int,
    _ address: Address, _ found: HostFindings.Findings
  ) throws -> Outcome? {
    do {
      // A missing owner may come with another change of the host: the op stands, on that
      // condition.
      let placement = desired.state == .present ? try checkPlace(desired, found) : nil
      let problem = placement.map {
        ResourceProblem(
          address: address, message: $0.message, unless: $0.unless, resolution: $0.resolution)
      }
      guard var op = try plan(desired, live: live, liveContent: liveContent, address: address)
      else { return problem.map { Outcome(index: index, desired: desired, problem: $0) } }
      op = Self.checked(op, desired, live: live)
      // A template that read a secret is known sensitive once rendered, not when loaded.
      if desired.sensitive == true { op.sensitive = true }
      // What services and other resources of the host may watch (`reload_on:`).
      op.touches = [desired.path]
      return Outcome(index: index, desired: desired, op: op, problem: problem)
    } catch let problem as Problem {
      return Outcome(
        index: index, desired: desired,
        problem: ResourceProblem(address: address, message: problem.message))
    }
  }

  /// Whether the plan shows a diff that needs the file's current content: a changed text file
  /// or a file to delete, small enough to diff.
  func needsLiveContent(_ desired: DesiredFile, _ live: LiveFile?) -> Bool {
    // A secret never leaves its host, not even for the plan.
    guard desired.sensitive != true, let live, live.kind == .file,
      live.size <= FilesConnector.diffLimit
    else { return false }
    switch desired.state {
    case .absent: return true
    case .present:
      return desired.sha256 != live.sha256 && desired.isText == true
        && (desired.size ?? 0) <= FilesConnector.diffLimit
    }
  }

  struct Problem: Error {
    let message: String
    /// What another change of the host must touch for the problem to go away (a user the
    /// users connector creates in the same apply).
    var unless: [String] = []
    var resolution: String?
  }

  private func plan(
    _ desired: DesiredFile, live: LiveFile?, liveContent: Data?, address: Address
  ) throws -> PlannedOp? {
    let path = desired.path
    if let unavailable = desired.unavailable { throw Problem(message: unavailable) }
    if let target = desired.link, desired.state == .present, live?.kind != .blocked {
      return try planLink(desired, to: target, live: live, address: address)
    }
    if desired.folder == true, live?.kind != .blocked {
      return try planFolder(desired, live: live, address: address)
    }
    switch (desired.state, live?.kind) {
    case (_, .blocked):
      throw Problem(
        message:
          "cannot reach \(path) on \(host.name): permission denied on \(live?.blockedBy ?? "a folder above it"), which the connecting user may not enter (connect as a user who may, or set `sudo: true` on the host)"
      )
    case (.absent, nil):
      return nil
    case (.absent, .directory):
      throw Problem(
        message: "\(path) is a folder on \(host.name); `state: absent` removes files only")
    case (.absent, .some(let kind)):
      return planDelete(desired, live: live!, kind: kind, content: liveContent, address: address)
    case (.present, .directory) where desired.replace != true:
      throw Problem(
        message:
          "\(path) is a folder on \(host.name), where the repository has a file; remove or rename the folder first, or set `replace: true` to move it aside"
      )
    case (.present, .symlink) where desired.replace != true:
      throw Problem(
        message:
          "\(path) is a symbolic link on \(host.name) (to \(live?.linkTarget ?? "?")), where the repository has a file; manage it as a link (`link:`), remove it, or set `replace: true` to move it aside"
      )
    case (.present, .other):
      throw Problem(
        message: "\(path) on \(host.name) is a device, socket or pipe, not a regular file")
    case (.present, .unreadable):
      throw Problem(
        message:
          "cannot read \(path) on \(host.name): permission denied (connect as its owner or set `sudo: true` on the host)"
      )
    case (.present, nil), (.present, .symlink), (.present, .directory):
      return try planCreate(desired, replacing: live?.kind, address: address)
    case (.present, .file):
      return try planUpdate(desired, live: live!, liveContent: liveContent, address: address)
    }
  }

  /// A new file; `replacing` what of another kind is at the path, which is moved aside.
  private func planCreate(_ desired: DesiredFile, replacing: LiveFile.Kind?, address: Address)
    throws -> PlannedOp
  {
    // A secret is created readable by its owner alone unless the repository says otherwise.
    let mode = desired.mode ?? (desired.sensitive == true ? 0o600 : 0o644)
    var summary = [
      desired.sensitive == true ? "content (sensitive)" : describe(desired),
      "mode \(FileMode.format(mode))",
    ]
    if let ownership = ownership(desired) { summary.append(ownership) }
    let verb =
      replacing.map {
        "replace the \($0 == .symlink ? "symbolic link" : "folder") \(desired.path) with a file (moved aside as \(desired.path).<UTC time>~)"
      } ?? "create \(desired.path)"
    var details: [String] = []
    var diff: String?
    if desired.sensitive != true {
      if desired.isText != true, let sha256 = desired.sha256 {
        details.append("sha256 \(sha256.prefix(16))")
      }
      diff = try diffableText(desired).flatMap {
        UnifiedDiff.make(from: "", to: $0, oldName: "/dev/null", newName: shownSource(desired))
      }
    }
    var op = FileOp(
      kind: .write, path: desired.path, source: desired.source, sha256: desired.sha256, mode: mode,
      owner: desired.owner, group: desired.group, encrypted: desired.encrypted,
      template: desired.template)
    op.aside = replacing == nil ? nil : true
    return PlannedOp(
      address: address, action: replacing == nil ? .create : .update,
      message: "\(verb): \(summary.joined(separator: ", "))", details: details, diff: diff,
      payload: op.json)
  }

  private func planUpdate(
    _ desired: DesiredFile, live: LiveFile, liveContent: Data?, address: Address
  ) throws -> PlannedOp? {
    var parts: [String] = []
    var details: [String] = []
    var diff: String?
    let contentChanged = desired.sha256 != live.sha256
    if contentChanged, desired.sensitive == true {
      // No size, no digest: nothing that helps guess a short secret.
      parts.append("content changed (sensitive)")
    } else if contentChanged {
      if let old = liveContent.flatMap(textContent), let new = try diffableText(desired) {
        diff = UnifiedDiff.make(
          from: old, to: new, oldName: "\(host.name):\(desired.path)",
          newName: shownSource(desired))
        parts.append("content " + lineCounts(diff ?? ""))
      } else {
        parts.append(
          "content (\(ByteCount.describe(live.size)) → \(ByteCount.describe(desired.size ?? 0)))")
        details.append(
          "sha256 \((live.sha256 ?? "?").prefix(16)) → \((desired.sha256 ?? "?").prefix(16))")
      }
    }
    let modeChanged = desired.mode.map { $0 != live.mode } ?? false
    if modeChanged, let mode = desired.mode {
      parts.append("mode \(FileMode.format(live.mode)) → \(FileMode.format(mode))")
    }
    let ownerChanged = desired.owner.map { $0 != live.owner && $0 != live.uid } ?? false
    if ownerChanged, let owner = desired.owner { parts.append("owner \(live.owner) → \(owner)") }
    let groupChanged = desired.group.map { $0 != live.group && $0 != live.gid } ?? false
    if groupChanged, let group = desired.group { parts.append("group \(live.group) → \(group)") }
    guard !parts.isEmpty else { return nil }

    let op: FileOp
    if contentChanged {
      // A rename replaces the inode: carry over what the repository leaves unmanaged.
      op = FileOp(
        kind: .write, path: desired.path, source: desired.source, sha256: desired.sha256,
        mode: desired.mode ?? live.mode, owner: desired.owner ?? live.uid,
        group: desired.group ?? live.gid,
        keepsOwnership: desired.owner == nil || desired.group == nil ? true : nil,
        encrypted: desired.encrypted, template: desired.template)
    } else {
      op = FileOp(
        kind: .attributes, path: desired.path, mode: modeChanged ? desired.mode : nil,
        owner: ownerChanged ? desired.owner : nil, group: groupChanged ? desired.group : nil)
    }
    return PlannedOp(
      address: address, action: .update,
      message: "update \(desired.path): \(parts.joined(separator: ", "))", details: details,
      diff: diff, payload: op.json)
  }

  private func planDelete(
    _ desired: DesiredFile, live: LiveFile, kind: LiveFile.Kind, content: Data?, address: Address
  ) -> PlannedOp {
    let what = kind == .symlink ? "the symbolic link \(desired.path)" : desired.path
    var details: [String] = []
    var diff: String?
    if kind == .file, desired.sensitive != true {
      if let content, let text = textContent(content) {
        diff = UnifiedDiff.make(
          from: text, to: "", oldName: "\(host.name):\(desired.path)", newName: "/dev/null")
      } else {
        details.append(
          "\(ByteCount.describe(live.size)), sha256 \((live.sha256 ?? "?").prefix(16))")
      }
    }
    let op = FileOp(kind: .remove, path: desired.path)
    let reason =
      desired.deletedFile.map { "\($0) was deleted in git" }
      ?? "declared absent in \(desired.declaredIn ?? "the repository")"
    return PlannedOp(
      address: address, action: .delete, message: "delete \(what): \(reason)",
      details: details, diff: diff, payload: op.json)
  }
}
