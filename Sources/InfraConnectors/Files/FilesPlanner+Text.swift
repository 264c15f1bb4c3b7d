import Foundation
import InfraCore
import InfraEngine

/// How a plan shows a file's content: the text it diffs and the words it summarises with.
extension FilesPlanner {
  /// The content to diff: text up to the diff limit, read from the cache or the repository;
  /// `nil` for binary and larger content, which is summarised without being read.
  func diffableText(_ desired: DesiredFile) throws -> String? {
    guard let source = desired.source, desired.isText == true,
      (desired.size ?? 0) <= FilesConnector.diffLimit
    else { return nil }
    if desired.template == true {
      return (try? settings.rendered.result(host: host.name, path: desired.path)?.get())
        .flatMap { textContent($0.content) }
    }
    if let cached = settings.cache.content(of: source) { return textContent(cached) }
    let url = settings.repository.root.appending(path: source)
    do {
      return textContent(try Data(contentsOf: url))
    } catch {
      throw Problem(message: "cannot read \(source): \(BoundedRead.reason(error))")
    }
  }

  func describe(_ desired: DesiredFile) -> String {
    let size = desired.size ?? 0
    guard desired.isText == true else { return "binary, \(ByteCount.describe(size))" }
    if size == 0 { return "empty" }
    let lines = desired.lines ?? 1
    return lines == 1 ? "1 line" : "\(lines) lines"
  }

  func ownership(_ desired: DesiredFile) -> String? {
    switch (desired.owner, desired.group) {
    case (let owner?, let group?): "owner \(owner):\(group)"
    case (let owner?, nil): "owner \(owner)"
    case (nil, let group?): "group \(group)"
    case (nil, nil): nil
    }
  }
}
