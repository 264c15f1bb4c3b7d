import Foundation
import InfraEngine

extension FilesPlanner {
  /// A template's desired state with its rendered content's digest, size and lines, or why
  /// it could not be rendered for this host.
  func rendered(_ desired: DesiredFile) -> DesiredFile {
    guard desired.template == true, desired.state == .present, desired.unavailable == nil else {
      return desired
    }
    var desired = desired
    switch settings.rendered.result(host: host.name, path: desired.path) {
    case .success(let output):
      let digest = ContentDigest.of(output.content)
      if output.sensitive { desired.sensitive = true }
      (desired.sha256, desired.size) = (digest.sha256, digest.size)
      (desired.isText, desired.lines) = (digest.isText, digest.lines)
    case .failure(let failure):
      desired.unavailable = failure.message
    case nil:
      desired.unavailable = "the template was not rendered for \(host.name): it was not read"
    }
    return desired
  }
}

extension FilesPlanner {
  /// The repository file a diff's new side comes from; a template's, as rendered for the host.
  func shownSource(_ desired: DesiredFile) -> String {
    let source = desired.source ?? ""
    return desired.template == true ? "\(source) (rendered for \(host.name))" : source
  }
}
