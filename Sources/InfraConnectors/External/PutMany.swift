import Foundation
import InfraCore
import InfraTransport

/// `host/put_many`: many whole files written on a host in one round trip, each atomically and
/// durably (the files connector's installer: a private temporary file, mode and owner, synced,
/// renamed over the target, the folder synced), in order, stopping at the first that fails.
enum PutMany {
  static func answer(_ params: PutManyParams, through transport: any Transport) async throws
    -> PutManyAnswer
  {
    guard !params.files.isEmpty else { return PutManyAnswer(written: 0, error: nil) }
    let feed = FileInstaller.Feed(
      params.files.map { file in
        FileInstaller.Op(
          kind: .write, path: file.path, content: file.content.data, mode: file.mode?.mode,
          owner: file.owner, group: file.group)
      })
    let result = try await transport.run(
      FileInstaller.command(.auto), streaming: feed.input, timeout: nil)
    var written = 0
    for outcome in FileInstaller.outcomes(result.stdout, count: params.files.count) {
      switch outcome {
      case .success: written += 1
      case .failure(let error): return PutManyAnswer(written: written, error: error.message)
      case nil:
        let stderr = result.stderrText.trimmingCharacters(in: .whitespacesAndNewlines)
        return PutManyAnswer(
          written: written,
          error: "the installer stopped on \(transport.host.name) (exit \(result.exitCode))"
            + (stderr.isEmpty ? "" : ": \(stderr)"))
      }
    }
    return PutManyAnswer(written: written, error: nil)
  }
}

/// `host/put_many`.
struct PutManyParams: Codable, Sendable {
  struct File: Codable, Sendable {
    var path: String
    var content: Base64
    var mode: OctalMode?
    var owner: String?
    var group: String?
  }

  var host: String
  var files: [File]
}

/// How many of the files were written, in order, and why the next one was not.
struct PutManyAnswer: Codable, Sendable {
  var written: Int
  var error: String?
}
