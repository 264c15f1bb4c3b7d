import Foundation
import InfraCore
import InfraEngine
import InfraTransport

extension ExternalConnector {
  /// `filter` (which files it owns), `validate` (what is wrong in them, located), and when
  /// nothing is, `load` (what they declare): the first two are optional for a program.
  func load(_ request: LoadRequest) async -> LoadResponse {
    var response = LoadResponse()
    // `.age` files are sent decrypted, marked sensitive; one that cannot be decrypted here is
    // not sent, and said so.
    var decrypted: [String: Data] = [:]
    var undecrypted: Set<String> = []
    let all = request.files + request.removed
    let results = await cipher.decrypt(all)
    for file in all {
      switch results[file.path] {
      case .success(let data)?: decrypted[file.path] = data
      case .failure(let failure)?:
        undecrypted.insert(file.path)
        response.diagnostics.append(failure.warning(about: file))
      case nil: break
      }
    }
    func texts(_ list: [ResourceFile]) -> [FileMessage] {
      list.compactMap { file in
        guard !undecrypted.contains(file.path) else { return nil }
        // A file that cannot be read says why (missing, a folder, permission denied).
        let read =
          decrypted[file.path].map { Result.success($0) }
          ?? BoundedRead.contents(of: file.url, path: file.path, limit: Self.maxFileBytes)
        let data: Data
        switch read {
        case .success(let bytes): data = bytes
        case .failure(let problem):
          response.diagnostics.append(problem)
          return nil
        }
        guard let text = String(data: data, encoding: .utf8) else {
          response.diagnostics.append(
            .error(
              "\(file.path) is not UTF-8 text", at: file.location,
              hint: "connector '\(id)' reads text files"))
          return nil
        }
        return FileMessage(
          address: file.address.path, path: file.path, content: text,
          sensitive: decrypted[file.path] != nil ? true : nil)
      }
    }
    do {
      let unowned = try await filter(request.files + request.removed)
      response.unclaimed = request.files.compactMap { file in
        unowned[file.address.path].map { (file, $0) }
      }
      let files = texts(request.files.filter { unowned[$0.address.path] == nil })
      let removed = texts(request.removed.filter { unowned[$0.address.path] == nil })
      // Resource files may hold secrets that only the answer marks (`sensitive_fields`): their
      // contents are never logged (`-v`), and neither is what the answer declares.
      if !files.isEmpty {
        let validated = try await optional(
          "validate", FilesParams(files: files), as: ValidateAnswer.self, sensitive: true)
        response.diagnostics += (validated?.diagnostics ?? []).map(\.diagnostic)
        if response.diagnostics.contains(where: { $0.severity == .error }) { return response }
      }
      let answer = try await call(
        "load", LoadParams(files: files, removed: removed), as: LoadAnswer.self,
        sensitive: true)
      for (index, item) in answer.resources.enumerated() {
        let field = "'resources[\(index)].address'"
        let address = try address(item.address, in: "load", field: field)
        guard served.contains(item.host) else {
          response.diagnostics.append(
            .error(
              "connector '\(id)' declared \(item.address) on host '\(item.host)', which it does not serve",
              hint: "add the host to the connector's `hosts:` in infra.yaml, or fix the connector"))
          continue
        }
        for field in item.sensitiveFields ?? [] {
          Self.register(item.desired, at: field.split(separator: ".").map(String.init))
        }
        let sources = item.sources ?? []
        response.resources.append(
          Resource(
            address: address, host: item.host, sources: sources, desired: item.desired,
            notes: item.notes ?? [], removed: item.removed ?? false,
            sensitive: item.sensitive == true || !(item.sensitiveFields ?? []).isEmpty
              || sources.contains { decrypted[$0] != nil }))
      }
      // What `validate` said already (warnings) is not said twice.
      let said = Set(response.diagnostics)
      response.diagnostics += (answer.diagnostics ?? []).map(\.diagnostic).filter {
        !said.contains($0)
      }
    } catch {
      // About the connector's folder as a whole.
      response.diagnostics.append(
        .error(
          "\(error)",
          at: SourceLocation(file: "\(Repository.resourcesFolderName)/\(id.prefix)/\(id.name)/"),
          hint: "run the program by hand to see what it says; `infra -v` logs every call"))
    }
    return response
  }

  /// The files the program does not own (`filter`), each with the reason; none when it does
  /// not filter.
  private func filter(_ files: [ResourceFile]) async throws -> [String: String] {
    guard !files.isEmpty else { return [:] }
    let addresses = files.map(\.address.path)
    guard
      let answer = try await optional(
        "filter", FilterParams(addresses: addresses), as: FilterAnswer.self)
    else { return [:] }
    let owned = Set(answer.owned)
    var unowned: [String: String] = [:]
    for address in addresses where !owned.contains(address) {
      unowned[address] = answer.reasons?[address] ?? "the connector's filter does not take it"
    }
    return unowned
  }

  /// Registers as secret the text at `path` in `value` (a number as its text); a path that
  /// leads nowhere registers nothing.
  static func register(_ value: JSONValue, at path: [String]) {
    guard let key = path.first else {
      switch value {
      case .string(let text): SecretMask.shared.register(text)
      case .int(let number): SecretMask.shared.register(String(number))
      case .double(let number): SecretMask.shared.register(String(number))
      default: break
      }
      return
    }
    if case .object(let object) = value, let inner = object[key] {
      register(inner, at: Array(path.dropFirst()))
    }
  }

  /// The largest resource file sent to a connector: far more than any file people write, well
  /// within the largest message a program takes.
  static let maxFileBytes = 16 << 20

  /// A call the program may leave out: `nil` when it answers that it has no such method.
  private func optional<Answer: Decodable>(
    _ method: String, _ params: some Encodable & Sendable, as type: Answer.Type,
    sensitive: Bool = false
  ) async throws -> Answer? {
    do {
      return try await call(method, params, as: type, sensitive: sensitive)
    } catch let error as RPC.RemoteError where error.is(.methodNotFound) {
      return nil
    }
  }
}
