import Foundation
import InfraTransport

/// Reads a line from a program in every way infra reads the lines programs send: routed as
/// the channel routes it, then, as an answer, read as the answer of each method of the
/// protocol, or, as a request, its params read as each method of infra's needs them.
///
/// It is what the fuzz target of the connector message reader drives, and so every decoder a
/// program's bytes can reach is driven with any bytes.
package enum ConnectorMessageReader {
  /// How many of the shapes `line` could be read as (none for a line the channel refuses).
  package static func read(_ line: Data) -> Int {
    switch IncomingLine.read(line) {
    case .invalid: return 0
    case .answer(_, let error, _):
      let answers: [any Decodable.Type] = [
        ConnectorGreeting.self, FilterAnswer.self, ValidateAnswer.self, LoadAnswer.self,
        ReadAnswer.self, PlanAnswer.self, ApplyAnswer.self, ListAnswer.self,
        InventoryListAnswer.self, RunAnswer.self, EmptyMessage.self,
      ]
      return answers.reduce(error == nil ? 0 : 1) { count, type in
        count + ((try? RPC.result(of: line, as: type)) == nil ? 0 : 1)
      }
    case .request(let request):
      let params: [any Decodable.Type] = [
        HostParams.self, RunParams.self, PutParams.self, GetParams.self, LogParams.self,
      ]
      return params.reduce(0) { count, type in
        count + ((try? request.params(type)) == nil ? 0 : 1)
      }
    }
  }
}
