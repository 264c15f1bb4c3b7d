import Foundation
import InfraCore
import InfraEngine
import InfraTransport

/// `pull` answers: the content that would declare each resource's live state.
struct PullAnswer: Decodable {
  var files: [PulledMessage]?
  var problems: [ProblemMessage]?
}

/// A resource file's new content (`null`: the resource is gone from the host).
struct PulledMessage: Decodable {
  var address: String
  var content: String?
}

extension ExternalConnector {
  /// `infra pull`: the program renders what each resource's file would hold to declare what
  /// the host has; files whose content would not change are left out, and an `.age` file is
  /// written back encrypted. A program without `pull` cannot, and says so for each resource.
  func pull(_ request: PullRequest) async throws -> PullResponse {
    let items = request.items.map(ResourceMessage.init(item:))
    let answer: PullAnswer
    do {
      answer = try await call(
        "pull", PlanParams(host: request.host.name, items: items), as: PullAnswer.self,
        host: (request.host.name, request.transport),
        sensitive: request.items.contains(where: \.resource.sensitive))
    } catch let error as RPC.RemoteError where error.is(.methodNotFound) {
      return PullResponse(
        problems: request.items.map {
          ResourceProblem(
            address: $0.resource.address,
            message: "its connector cannot write live state back into the repository")
        })
    }
    let byAddress = Dictionary(
      request.items.map { ($0.resource.address, $0.resource) }
    ) { first, _ in first }
    var response = PullResponse()
    for (index, problem) in (answer.problems ?? []).enumerated() {
      response.problems.append(
        ResourceProblem(
          address: try address(problem.address, in: "pull", field: "'problems[\(index)].address'"),
          message: problem.message))
    }
    for (index, file) in (answer.files ?? []).enumerated() {
      let address = try address(file.address, in: "pull", field: "'files[\(index)].address'")
      guard let resource = byAddress[address], let source = resource.sources.first,
        !resource.removed
      else {
        throw failure(
          "pull", "'files[\(index)].address' names \(address.path), which it was not asked about")
      }
      do {
        if let pulled = try await pulled(
          file.content, into: source, of: resource, host: request.host.name)
        {
          response.files.append(pulled)
        }
      } catch {
        response.problems.append(
          ResourceProblem(
            address: address,
            message: "cannot write what \(request.host.name) has into \(source): \(error.message)"
              + (error.hint.map { "; \($0)" } ?? "")))
      }
    }
    return response
  }

  /// The file `infra pull` writes for `content`, or `nil` when `source` holds it already.
  private func pulled(_ content: String?, into source: String, of resource: Resource, host: String)
    async throws(AgeCipher.Failure) -> PulledFile?
  {
    let url = cipher.repository.root.appending(path: source)
    guard let content else {
      return PulledFile(
        path: source, content: nil, address: resource.address,
        summary: "removed: \(resource.address.path) is not on \(host)")
    }
    let clear = Data(content.utf8)
    let summary = "live state of \(host), \(ByteCount.describe(clear.count))"
    guard AgeCipher.isEncrypted(source) else {
      if (try? Data(contentsOf: url)) == clear { return nil }
      return PulledFile(path: source, content: clear, address: resource.address, summary: summary)
    }
    SecretMask.shared.register(content: clear)
    if (try? await cipher.decrypt(url)) == clear { return nil }
    return PulledFile(
      path: source, content: try await cipher.encrypt(clear), address: resource.address,
      summary: summary + ", encrypted (sensitive)", clearDigest: SHA256Hex.of(clear))
  }
}
