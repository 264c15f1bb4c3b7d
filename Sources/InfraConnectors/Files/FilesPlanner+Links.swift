import Foundation
import InfraCore
import InfraEngine

extension FilesPlanner {
  /// A symbolic link to `target`: created, retargeted, or left alone when it points there (the
  /// target compared as written, never resolved); anything else at the path fails the plan
  /// unless `replace: true` moves it aside.
  func planLink(_ desired: DesiredFile, to target: String, live: LiveFile?, address: Address)
    throws -> PlannedOp?
  {
    let path = desired.path
    var op = FileOp(kind: .link, path: path)
    op.target = target
    switch live?.kind {
    case nil:
      return PlannedOp(
        address: address, action: .create,
        message: "create the symbolic link \(path) → \(target)", payload: op.json)
    case .symlink where live?.linkTarget == target:
      return nil
    case .symlink:
      return PlannedOp(
        address: address, action: .update,
        message: "retarget the symbolic link \(path): \(live?.linkTarget ?? "?") → \(target)",
        payload: op.json)
    case .unreadable, .file, .directory, .other:
      let what =
        switch live?.kind {
        case .directory: "a folder"
        case .other: "a device, socket or pipe"
        default: "a file"
        }
      guard desired.replace == true else {
        throw Problem(
          message:
            "\(path) is \(what) on \(host.name), where the repository has a symbolic link to \(target); remove it, or set `replace: true` to move it aside"
        )
      }
      op.aside = true
      return PlannedOp(
        address: address, action: .update,
        message:
          "replace \(what) \(path) with a symbolic link → \(target) (moved aside as \(path).<UTC time>~)",
        payload: op.json)
    case .blocked:
      return nil
    }
  }
}

extension FilesPlanner {
  /// A folder: created with its mode (0755 unless set) and owner, or its mode and owner set in
  /// place; anything else at the path fails the plan unless `replace: true` moves it aside.
  func planFolder(_ desired: DesiredFile, live: LiveFile?, address: Address) throws -> PlannedOp? {
    let path = desired.path
    let ownership = [desired.owner.map { "owner \($0)" }, desired.group.map { "group \($0)" }]
      .compactMap { $0 }
    guard let live, live.kind == .directory else {
      var op = FileOp(
        kind: .folder, path: path, mode: desired.mode ?? 0o755, owner: desired.owner,
        group: desired.group)
      var verb = "create the folder \(path)/"
      if let live {
        guard desired.replace == true else {
          throw Problem(
            message:
              "\(path) is \(live.kind == .symlink ? "a symbolic link" : "a file") on \(host.name), where the repository has a folder; remove it, or set `replace: true` to move it aside"
          )
        }
        op.aside = true
        verb =
          "replace the \(live.kind == .symlink ? "symbolic link" : "file") \(path) with a folder (moved aside as \(path).<UTC time>~)"
      }
      let summary = ["mode \(FileMode.format(desired.mode ?? 0o755))"] + ownership
      return PlannedOp(
        address: address, action: live == nil ? .create : .update,
        message: "\(verb): \(summary.joined(separator: ", "))", payload: op.json)
    }
    var parts: [String] = []
    let mode = desired.mode.flatMap { $0 == live.mode ? nil : $0 }
    if let mode { parts.append("mode \(FileMode.format(live.mode)) → \(FileMode.format(mode))") }
    let owner = desired.owner.flatMap { $0 == live.owner || $0 == live.uid ? nil : $0 }
    if let owner { parts.append("owner \(live.owner) → \(owner)") }
    let group = desired.group.flatMap { $0 == live.group || $0 == live.gid ? nil : $0 }
    if let group { parts.append("group \(live.group) → \(group)") }
    guard !parts.isEmpty else { return nil }
    let op = FileOp(kind: .attributes, path: path, mode: mode, owner: owner, group: group)
    return PlannedOp(
      address: address, action: .update,
      message: "update the folder \(path)/: \(parts.joined(separator: ", "))", payload: op.json)
  }
}
