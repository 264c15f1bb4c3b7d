import Foundation
import InfraCore
import InfraEngine
import InfraTestSupport
import Testing

/// Run folders under rotation: a run's folder is never removed while the run goes, runs that
/// start together all start, and a run killed before it could record its end is marked so.
@Suite struct RunFoldersTests {
  let folder: TemporaryFolder
  var settings: RunArtifacts.Settings {
    RunArtifacts.Settings(root: folder.url, keep: 1, command: ["infra", "plan"])
  }

  init() throws {
    folder = try TemporaryFolder("run-folders")
  }

  var names: [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted()
  }

  @Test func tenRunsStartingTogetherAllStartAndKeepTheirFolders() async throws {
    let settings = settings
    // Each made on a thread of its own, at once: each sweeps while the others are being made.
    let made = await withTaskGroup(of: Result<RunArtifacts, any Error>.self) { group in
      for index in 0..<10 {
        group.addTask {
          await withCheckedContinuation { continuation in
            Thread.detachNewThread {
              continuation.resume(
                returning: Result {
                  try RunArtifacts(id: "20261202T120000.000Z-00000\(index)", settings: settings)
                })
            }
          }
        }
      }
      var made: [Result<RunArtifacts, any Error>] = []
      for await result in group { made.append(result) }
      return made
    }
    let runs = try made.map { try $0.get() }
    #expect(runs.count == 10)
    #expect(names.count == 10, "every run still going keeps its folder, whatever `keep` says")
    for run in runs {
      #expect(FileManager.default.fileExists(atPath: run.folder.appending(path: "command").path))
      run.write(status: .running)
    }
    for run in runs { run.write(status: .successful) }
    let next = try RunArtifacts(id: "20261202T120001.000Z-00000a", settings: settings)
    #expect(names == ["20261202T120001.000Z-00000a"], "ended runs beyond `keep` are removed")
    #expect(next.foundKilled.isEmpty)
  }

  @Test func aRunWhoseProcessEndedWhileItWentOnIsMarkedKilled() throws {
    let killed = "20261202T110000.000Z-dead00"
    try folder.write("\(killed)/status", "running\n")
    try folder.write("\(killed)/.running", "")
    let ended = "20261202T110001.000Z-fine00"
    try folder.write("\(ended)/status", "successful\n")
    let keepAll = RunArtifacts.Settings(root: folder.url, keep: 10, command: ["infra"])
    let run = try RunArtifacts(id: "20261202T120000.000Z-aaaaaa", settings: keepAll)
    #expect(run.foundKilled == [killed])
    #expect(try folder.readText("\(killed)/status") == "killed\n")
    #expect(try folder.readText("\(ended)/status") == "successful\n")

    // A run still going is not killed, however old: its lock is held.
    run.write(status: .running)
    let later = try RunArtifacts(id: "20261202T120001.000Z-bbbbbb", settings: keepAll)
    #expect(later.foundKilled.isEmpty)
    #expect(try folder.readText("20261202T120000.000Z-aaaaaa/status") == "running\n")
  }
}
