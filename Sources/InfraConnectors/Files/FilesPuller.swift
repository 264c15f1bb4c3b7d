import Foundation
import InfraCore
import InfraEngine
import InfraTransport

/// `infra pull` for files: the host's content goes back into the content file, in one batched
/// read. Attributes the repository sets but the host has otherwise are reported with the line
/// to change, since attribute files are written by people (with their comments).
struct FilesPuller {
  let settings: FilesConnector.Settings
  let host: InventoryHost
  let transport: any Transport

  func pull(_ items: [PlanItem]) async throws -> PullResponse {
    var response = PullResponse()
    var wanted: [(address: Address, source: String, path: String, encrypted: Bool)] = []
    for item in items {
      let address = item.resource.address
      let desired = try DesiredFile(json: item.resource.desired)
      if desired.folder == true {
        // A folder's mode and owner are the repository's to say; pull writes contents only.
        continue
      }
      if let target = desired.link {
        let live = item.live.exists ? try? LiveFile(json: item.live.state) : nil
        if live?.kind != .symlink || live?.linkTarget != target {
          response.problems.append(
            ResourceProblem(
              address: address,
              message:
                "it is a symbolic link, which `infra pull` does not write back: edit its `link:` in \(desired.declaredIn ?? "the repository")"
            ))
        }
        continue
      }
      guard desired.state == .present, let source = desired.source else {
        response.problems.append(
          ResourceProblem(
            address: address,
            message:
              "it is declared absent in \(desired.declaredIn ?? "the repository"); only files with content are pulled"
          ))
        continue
      }
      if desired.template == true {
        // The host has the template's output; writing it over the template would lose what
        // makes it differ per host.
        let rendered = settings.rendered.result(host: host.name, path: desired.path)
        let digest = (try? rendered?.get()).map { SHA256Hex.of($0.content) }
        if item.live.exists, let live = try? LiveFile(json: item.live.state),
          live.kind == .file, live.sha256 != nil, live.sha256 == digest
        {
          response.problems += attributeDifferences(desired, live, address: address, source: source)
          continue
        }
        response.problems.append(
          ResourceProblem(
            address: address,
            message:
              "\(desired.path) on \(host.name) differs from what \(source) renders, and a template is not pulled: edit the template (or the host's data) by hand"
          ))
        continue
      }
      guard item.live.exists else {
        response.files.append(
          PulledFile(
            path: source, content: nil, address: address,
            summary: "removed: \(desired.path) is not on \(host.name)"))
        continue
      }
      let live = try LiveFile(json: item.live.state)
      guard live.kind == .file else {
        response.problems.append(
          ResourceProblem(
            address: address,
            message:
              "\(desired.path) is \(live.kind == .unreadable ? "not readable by the connecting user" : "a \(live.kind.rawValue)") on \(host.name); only readable regular files are pulled"
          ))
        continue
      }
      if live.sha256 != desired.sha256 {
        if desired.sensitive == true, desired.encrypted != true {
          response.problems.append(
            ResourceProblem(
              address: address,
              message:
                "it is sensitive, and pulling it would write the secret from \(host.name) into \(source) in clear; encrypt the file first (`infra secrets encrypt \(source)`), then pull"
            ))
          continue
        }
        wanted.append((address, source, desired.path, desired.encrypted == true))
      }
      response.problems += attributeDifferences(desired, live, address: address, source: source)
    }
    let contents = try await LiveContentFetcher.fetch(
      wanted.map(\.path), through: transport, writer: settings.writer)
    for (address, source, path, encrypted) in wanted {
      guard let content = contents[path] else {
        response.problems.append(
          ResourceProblem(address: address, message: "\(path) could not be read on \(host.name)"))
        continue
      }
      guard encrypted else {
        response.files.append(
          PulledFile(
            path: source, content: content, address: address,
            summary: "content from \(host.name):\(path), \(ByteCount.describe(content.count))"))
        continue
      }
      // Written back as it is kept: encrypted, to the recipients of infra.yaml.
      SecretMask.shared.register(content: content)
      do {
        let sealed = try await settings.cipher.encrypt(content)
        response.files.append(
          PulledFile(
            path: source, content: sealed, address: address,
            summary: "content from \(host.name):\(path), encrypted (sensitive)",
            clearDigest: SHA256Hex.of(content)))
      } catch {
        response.problems.append(
          ResourceProblem(
            address: address,
            message: "cannot encrypt what \(host.name) has: \(error.message)"
              + (error.hint.map { "; \($0)" } ?? "")))
      }
    }
    return response
  }

  private func attributeDifferences(
    _ desired: DesiredFile, _ live: LiveFile, address: Address, source: String
  ) -> [ResourceProblem] {
    var differences: [String] = []
    if let mode = desired.mode, mode != live.mode {
      differences.append("mode: \"\(FileMode.format(live.mode))\"")
    }
    if let owner = desired.owner, owner != live.owner, owner != live.uid {
      differences.append("owner: \(live.owner)")
    }
    if let group = desired.group, group != live.group, group != live.gid {
      differences.append("group: \(live.group)")
    }
    guard !differences.isEmpty else { return [] }
    let name = source.split(separator: "/").last.map(String.init) ?? source
    let folder = FilesLoader.folderPath(source)
    return [
      ResourceProblem(
        address: address,
        message:
          "\(host.name) has other attributes than the repository; to keep them, set `\(name): { \(differences.joined(separator: ", ")) }` under `files:` in \(folder)\(AttributesFile.fileName)"
      )
    ]
  }
}
