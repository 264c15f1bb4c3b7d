import Foundation
import InfraCore
import InfraEngine
import Synchronization

extension FilesLoader {
  /// Sets the digest, size and kind of `file`'s content in `desired`, decrypting it when it is an
  /// age file; false when the file cannot be read at all. An age file that cannot be decrypted
  /// here (no identity) is still declared, with why, so that everything else can be checked and
  /// planned: the warning says so for `infra validate`, and the plan fails that file.
  /// `digest` is the file's, when `digests(of:)` read it already.
  func describeContent(
    of file: ResourceFile, digest: ContentDigest?, in desired: inout DesiredFile,
    diagnostics: inout [Diagnostic]
  ) -> Bool {
    guard desired.encrypted == true else {
      // Kept only to register a secret: a plan reads the few files it diffs again.
      let keep = desired.sensitive == true
      guard
        let content = keep || digest == nil
          ? hash(file, keeping: keep, diagnostics: &diagnostics) : digest
      else { return false }
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

  /// Whether a file of this name is a template unless its settings say otherwise.
  static func isTemplateName(_ name: String) -> Bool {
    name.hasSuffix(".mustache") && name.count > ".mustache".count && !name.hasSuffix("/.mustache")
  }

  /// Checks that `file` is a template that parses, reporting where it does not: its content is
  /// known per host only, once rendered when the host is read. False when it cannot be used.
  func describeTemplate(
    _ file: ResourceFile, in desired: inout DesiredFile, diagnostics: inout [Diagnostic]
  ) -> Bool {
    let data: Data
    if desired.encrypted == true {
      switch decrypted[file.path] ?? .failure(.init(message: "it was not decrypted")) {
      case .success(let clear): data = clear
      case .failure(let failure):
        desired.unavailable = "cannot decrypt \(file.path): \(failure.message)"
        diagnostics.append(failure.warning(about: file))
        return true
      }
    } else {
      guard hash(file, keeping: true, diagnostics: &diagnostics) != nil else { return false }
      guard let cached = settings.cache.content(of: file.path) else {
        diagnostics.append(
          .error(
            "\(file.path) is a template larger than \(ByteCount.describe(ContentCache.fileLimit))",
            at: file.location, hint: "templates are configuration files; split this one"))
        return false
      }
      data = cached
    }
    guard let text = textContent(data) else {
      diagnostics.append(
        .error(
          "\(file.path) is a template but not text (it is not UTF-8, or holds NUL bytes)",
          at: file.location,
          hint:
            "rename it without `.mustache`, or set `template: false` for it in .infra-attrs.yaml"
        ))
      return false
    }
    if case .failure(let problem) = TemplateRenderer.parse(text) {
      diagnostics.append(
        .error(
          problem.message,
          at: SourceLocation(file: file.path, line: problem.line, column: problem.column)))
      return false
    }
    return true
  }

  /// The digests of the tree's plain files by their path in it, read and hashed on every core:
  /// each file is independent, and a repository of many files spends its loading here.
  /// Templates and encrypted files are left to `declare`, which keeps their content, as are
  /// files that cannot be read, so that their errors come in order.
  func digests(of tree: Tree) -> [String: ContentDigest] {
    // Names only (the tree's own strings): a copy of the tree's entries was a megabyte.
    let files = tree.files.compactMap { relative, file in
      AgeCipher.isEncrypted(file.path) || Self.isTemplateName(relative) ? nil : relative
    }
    let digests = Mutex<[String: ContentDigest]>([:])
    // A few hundred files a share: enough to keep every core busy, few enough to cost nothing.
    let shares = min(max(files.count / 256, 1), ProcessInfo.processInfo.activeProcessorCount * 4)
    DispatchQueue.concurrentPerform(iterations: shares) { share in
      var found: [(String, ContentDigest)] = []
      for index in stride(from: share, to: files.count, by: shares) {
        let relative = files[index]
        let path = tree.files[relative]!.filePath
        if let digest = try? ContentDigest.read(path, keepingUpTo: 0, keep: { _ in }) {
          found.append((relative, digest))
        }
      }
      digests.withLock { $0.merge(found, uniquingKeysWith: { first, _ in first }) }
    }
    return digests.withLock { $0 }
  }

  /// The digest of `file`; with `keeping`, its content goes into the cache too.
  func hash(_ file: ResourceFile, keeping: Bool, diagnostics: inout [Diagnostic])
    -> ContentDigest?
  {
    do {
      return try ContentDigest.read(
        file.filePath, keepingUpTo: keeping ? ContentCache.fileLimit : 0
      ) {
        settings.cache.store($0, for: file.path)
      }
    } catch {
      diagnostics.append(
        .error("cannot read \(file.path): \(BoundedRead.reason(error))", at: file.location))
      return nil
    }
  }
}
