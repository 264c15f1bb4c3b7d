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

  /// A template's output for one host, and whether it is secret (it read a secret value).
  struct Output: Sendable, Hashable {
    var content: Data
    var sensitive: Bool
  }

  private struct State {
    /// By host, then path on the host.
    var results: [String: [String: Result<Output, Failure>]] = [:]
    var values: [String: TemplateValues] = [:]
    /// Secret values of the hosts' data, read once per run: by where they come from.
    var secrets: [String: Result<String, AgeCipher.Failure>] = [:]
  }

  private let state = Mutex(State())

  func store(_ result: Result<Output, Failure>, host: String, path: String) {
    state.withLock { $0.results[host, default: [:]][path] = result }
  }

  func result(host: String, path: String) -> Result<Output, Failure>? {
    state.withLock { $0.results[host]?[path] }
  }

  func secret(_ key: String) -> Result<String, AgeCipher.Failure>? {
    state.withLock { $0.secrets[key] }
  }

  func store(secret: Result<String, AgeCipher.Failure>, for key: String) {
    state.withLock { $0.secrets[key] = secret }
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
    let (data, secrets, unavailable) = await resolvingSecrets(host.data)
    var values = TemplateValues(
      host: host.name, groups: host.groups, data: data, facts: nil, factsProblem: nil,
      secrets: secrets, unavailableSecrets: unavailable)
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
      case .success(let output) where output.sensitive || file.sensitive == true:
        // No digest of a secret anywhere: the plan of a sensitive change is made again when a
        // saved plan is applied.
        SecretMask.shared.register(content: output.content)
        fingerprints[file.path] = "rendered:sensitive"
      case .success(let output):
        fingerprints[file.path] = "rendered:" + SHA256Hex.of(output.content)
      case .failure(let failure):
        fingerprints[file.path] = "unrendered:" + SHA256Hex.of(Data(failure.message.utf8))
      }
    }
    return fingerprints
  }

  /// `file`'s template, read from the repository (decrypted when it is an age file), rendered
  /// with `values`.
  func render(_ file: DesiredFile, with values: TemplateValues) async -> Result<
    RenderedTemplates.Output, RenderedTemplates.Failure
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
    case .success(let output):
      return .success(.init(content: Data(output.text.utf8), sensitive: output.readSecret))
    case .failure(let problem):
      return .failure(
        .init(message: "\(source):\(problem.line):\(problem.column): \(problem.message)"))
    }
  }
}

extension FilesConnector.Settings {
  /// `data` with each secret reference (`{ secret: { file: PATH } }` or
  /// `{ secret: { env: NAME } }`) replaced by the secret's text, registered with the mask; the
  /// paths of those values, and of those that could not be had, with why.
  func resolvingSecrets(_ data: [String: JSONValue], under prefix: String = "") async -> (
    [String: JSONValue], Set<String>, [String: String]
  ) {
    var resolved = data
    var secrets: Set<String> = []
    var unavailable: [String: String] = [:]
    for (key, value) in data {
      let path = prefix.isEmpty ? key : "\(prefix).\(key)"
      if let reference = Self.secretReference(value) {
        resolved[key] = nil
        switch await secret(reference) {
        case .success(let text):
          resolved[key] = .string(text)
          secrets.insert(path)
        case .failure(let failure):
          unavailable[path] = failure.message + (failure.hint.map { " (\($0))" } ?? "")
        }
      } else if case .object(let members) = value {
        let (inner, innerSecrets, innerUnavailable) = await resolvingSecrets(members, under: path)
        resolved[key] = .object(inner)
        secrets.formUnion(innerSecrets)
        unavailable.merge(innerUnavailable) { a, _ in a }
      }
    }
    return (resolved, secrets, unavailable)
  }

  /// `file PATH` or `env NAME`, when `value` is a secret reference.
  static func secretReference(_ value: JSONValue) -> String? {
    guard case .object(let outer) = value, outer.count == 1,
      case .object(let reference)? = outer["secret"], reference.count == 1
    else { return nil }
    if let path = reference["file"]?.stringValue { return "file \(path)" }
    if let name = reference["env"]?.stringValue { return "env \(name)" }
    return nil
  }

  private func secret(_ reference: String) async -> Result<String, AgeCipher.Failure> {
    if let known = rendered.secret(reference) { return known }
    let name = String(reference.drop { $0 != " " }.dropFirst())
    let result =
      reference.hasPrefix("file ")
      ? await SecretText.fromFile(name, cipher: cipher, repository: repository)
      : SecretText.fromEnvironment(name, hint: "set \(name) in infra's environment")
    if case .success(let text) = result { SecretMask.shared.register(text) }
    rendered.store(secret: result, for: reference)
    return result
  }
}
