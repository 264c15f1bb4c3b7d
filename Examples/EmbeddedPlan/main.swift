import Foundation
import InfraKit

// A program that embeds infra: it loads a repository with InfraKit, plans it with handlers
// that print every event and status as they happen, then prints the changes the plan found.
//
//     swift run EmbeddedPlan [REPOSITORY]
//
// Without a repository it makes a temporary one that manages a file in a temporary folder of
// this machine, plans it (nothing is changed), and removes both.

/// A repository with one host (this machine) and the files connector, managing `hello.txt`.
func temporaryRepository() throws -> (repository: URL, target: URL) {
  let base = FileManager.default.temporaryDirectory.appending(
    path: "infra-embedded-\(UUID().uuidString.prefix(8))")
  let repository = base.appending(path: "repo")
  let target = base.appending(path: "target")
  let resource = repository.appending(path: "resources/demo/files/local/hello.txt")
  try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
  try FileManager.default.createDirectory(
    at: resource.deletingLastPathComponent(), withIntermediateDirectories: true)
  try Data("hello from a program that embeds infra\n".utf8).write(to: resource)
  try Data(
    """
    version: 1
    hosts:
      local: { connect: local }
    prefixes:
      demo:
        connectors:
          - name: files
            options: { root: \(target.path) }
    """.utf8
  ).write(to: repository.appending(path: "infra.yaml"))
  return (repository, target)
}

var scratch: URL?
let folder: URL
if CommandLine.arguments.count > 1 {
  folder = URL(fileURLWithPath: CommandLine.arguments[1])
} else {
  let made = try temporaryRepository()
  scratch = made.repository.deletingLastPathComponent()
  folder = made.repository
}
guard let repository = RepositoryLoader.find(from: folder) else {
  print("there is no infra.yaml in \(folder.path) or above it")
  exit(1)
}

let loaded = await RepositoryLoader().load(repository)
for diagnostic in loaded.diagnostics { print(diagnostic) }
guard let workspace = loaded.workspace else { exit(1) }

let run = try Run(
  PlanJob(), in: workspace,
  onEvent: { record in
    var line = "event \(record.counter): \(record.event.name)"
    if let host = record.event.host { line += " on \(host)" }
    print(line)
  },
  onStatus: { status in print("status: \(status.rawValue)") })
let result = await run.start()

for change in result.output.changes {
  print("\(change.action.symbol) \(change.address) on \(change.host): \(change.op.message)")
}
let summary = result.output.summary
print(
  "plan: \(summary.create) to create, \(summary.update) to update, \(summary.delete) to delete, \(summary.unchanged) unchanged"
)
await workspace.close()
if let scratch { try? FileManager.default.removeItem(at: scratch) }
exit(result.rc)
