import Foundation
import InfraCore
import InfraEngine
import Mustache
import Synchronization

/// The templates of each host, rendered when the host is read (its facts arrive with that
/// read), for planning and applying in the same run.
final class RenderedTemplates: Sendable {
  /// Why a template could not be rendered for a host, for people.
  struct Failure: Error, Sendable, Hashable {
    var message: String
  }

  private struct State {
    /// By host, then path on the host.
    var results: [String: [String: Result<Data, Failure>]] = [:]
    var values: [String: TemplateValues] = [:]
  }

  private let state = Mutex(State())

  func store(_ result: Result<Data, Failure>, host: String, path: String) {
    state.withLock { $0.results[host, default: [:]][path] = result }
  }

  func result(host: String, path: String) -> Result<Data, Failure>? {
    state.withLock { $0.results[host]?[path] }
  }

  func store(_ values: TemplateValues, host: String) {
    state.withLock { $0.values[host] = values }
  }

  /// What `host`'s templates were rendered with.
  func values(of host: String) -> TemplateValues? {
    state.withLock { $0.values[host] }
  }
}

extension FilesConnector.Settings {
  /// Renders the templates among `files` for `host`, with its facts, keeping each result for
  /// planning; returns, by path, what the rendered content adds to the resource's fingerprint.
  func renderTemplates(
    _ files: [DesiredFile], host: InventoryHost, facts: HostFactsSource
  ) async -> [String: String] {
    let templates = files.filter { $0.template == true && $0.state == .present }
    guard !templates.isEmpty else { return [:] }
    var values = TemplateValues(
      host: host.name, groups: host.groups, data: host.data, facts: nil, factsProblem: nil)
    do {
      values.facts = try await facts.facts().json
    } catch {
      values.factsProblem = "\(error)"
    }
    rendered.store(values, host: host.name)
    var fingerprints: [String: String] = [:]
    for file in templates {
      let result = await render(file, with: values)
      rendered.store(result, host: host.name, path: file.path)
      switch result {
      case .success(let content):
        if file.sensitive == true { SecretMask.shared.register(content: content) }
        fingerprints[file.path] = "rendered:" + SHA256Hex.of(content)
      case .failure(let failure):
        fingerprints[file.path] = "unrendered:" + SHA256Hex.of(Data(failure.message.utf8))
      }
    }
    return fingerprints
  }

  /// `file`'s template, read from the repository (decrypted when it is an age file), rendered
  /// with `values`.
  func render(_ file: DesiredFile, with values: TemplateValues) async -> Result<
    Data, RenderedTemplates.Failure
  > {
    guard let source = file.source else {
      return .failure(.init(message: "the template has no source file"))
    }
    if let unavailable = file.unavailable { return .failure(.init(message: unavailable)) }
    let data: Data
    do {
      if file.encrypted == true {
        data = try await cipher.decrypt(repository.root.appending(path: source))
      } else if let cached = cache.content(of: source) {
        data = cached
      } else {
        data = try Data(contentsOf: repository.root.appending(path: source))
      }
    } catch {
      return .failure(.init(message: "cannot read \(source): \(BoundedRead.reason(error))"))
    }
    guard let text = textContent(data) else {
      return .failure(.init(message: "\(source) is a template but not text"))
    }
    let rendered = TemplateRenderer.parse(text).flatMap {
      TemplateRenderer.render($0, text: text, values: values)
    }
    switch rendered {
    case .success(let output): return .success(Data(output.utf8))
    case .failure(let problem):
      return .failure(
        .init(message: "\(source):\(problem.line):\(problem.column): \(problem.message)"))
    }
  }
}
