import Foundation
import InfraCore
import InfraEngine

extension FilesLoader {
  /// Sets the digest, size and kind of `file`'s content in `desired`, decrypting it when it is an
  /// age file; false when the file cannot be read at all. An age file that cannot be decrypted
  /// here (no identity) is still declared, with why, so that everything else can be checked and
  /// planned: the warning says so for `infra validate`, and the plan fails that file.
  func describeContent(
    of file: ResourceFile, in desired: inout DesiredFile, diagnostics: inout [Diagnostic]
  ) -> Bool {
    guard desired.encrypted == true else {
      guard let content = hash(file, diagnostics: &diagnostics) else { return false }
      (desired.sha256, desired.size) = (content.sha256, content.size)
      (desired.isText, desired.lines) = (content.isText, content.lines)
      if desired.sensitive == true, let data = settings.cache.content(of: file.path) {
        SecretMask.shared.register(content: data)
      }
      return true
    }
    switch decrypted[file.path] ?? .failure(.init(message: "it was not decrypted")) {
    case .success(let data):
      let content = ContentDigest.of(data)
      (desired.sha256, desired.size) = (content.sha256, content.size)
      (desired.isText, desired.lines) = (content.isText, content.lines)
    case .failure(let failure):
      desired.unavailable = "cannot decrypt \(file.path): \(failure.message)"
      diagnostics.append(failure.warning(about: file))
    }
    return true
  }

  func hash(_ file: ResourceFile, diagnostics: inout [Diagnostic]) -> ContentDigest? {
    do {
      return try ContentDigest.read(file.url, keepingUpTo: ContentCache.fileLimit) {
        settings.cache.store($0, for: file.path)
      }
    } catch {
      diagnostics.append(
        .error("cannot read \(file.path): \(BoundedRead.reason(error))", at: file.location))
      return nil
    }
  }
}
