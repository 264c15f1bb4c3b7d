import Foundation
import InfraCore

/// The runs kept in `.infra/runs/`, read back (`infra runs`, `infra show RUN-ID`): what each was,
/// how it ended, and what it planned.
public struct PastRun: Sendable {
  /// The run's id, which starts with its UTC start time.
  public var id: String
  /// Its folder.
  public var folder: URL
  /// The command line that started it.
  public var command: String
  /// `plan`, `apply`, `pull`, `import`, `command` or `unlock`, from its `run_start` event.
  public var kind: String?
  /// Its last recorded status (`killed` for a run found dead).
  public var status: String
  /// Its exit code, once it ended.
  public var rc: Int?
  /// The hosts it worked on.
  public var hosts: [String]
  /// How long it took, once it ended.
  public var durationMilliseconds: Int?
  /// Per-host stats from its `run_end` event.
  public var stats: [String: JSONValue]
  /// What its plan counted, when it made one.
  public var summary: Plan.Summary?

  /// When it started, from its id: `2026-11-21 19:45:12Z`.
  public var started: String {
    let stamp = id.prefix(15)  // 20261121T194512
    guard stamp.count == 15 else { return id }
    let digits = Array(stamp)
    return "\(String(digits[0..<4]))-\(String(digits[4..<6]))-\(String(digits[6..<8])) "
      + "\(String(digits[9..<11])):\(String(digits[11..<13])):\(String(digits[13..<15]))Z"
  }

  /// The run's plan, when it made one (`plan.json`).
  public func plan() throws -> Plan? {
    let url = folder.appending(path: "plan.json")
    guard FileManager.default.fileExists(atPath: url.path) else { return nil }
    return try PlanDocument.decode(Data(contentsOf: url)).plan()
  }
}

/// Reads the run folders of a repository.
public enum RunHistory {
  /// The kept runs, newest first.
  public static func runs(in runsFolder: URL) -> [PastRun] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: runsFolder.path)) ?? []
    return names.filter { !$0.hasPrefix(".") }.sorted(by: >).compactMap {
      read(runsFolder.appending(path: $0))
    }
  }

  /// The run whose id is `id`, or else the runs whose id starts or ends with it.
  public static func run(_ id: String, in runsFolder: URL) -> [PastRun] {
    let all = runs(in: runsFolder)
    if let exact = all.first(where: { $0.id == id }) { return [exact] }
    return all.filter { $0.id.hasPrefix(id) || $0.id.hasSuffix(id) }
  }

  static func read(_ folder: URL) -> PastRun? {
    func text(_ name: String) -> String? {
      (try? String(contentsOf: folder.appending(path: name), encoding: .utf8))?
        .trimmingCharacters(in: .whitespacesAndNewlines)
    }
    guard let command = text("command") else { return nil }
    var run = PastRun(
      id: folder.lastPathComponent, folder: folder, command: command,
      status: text("status") ?? "unknown", rc: text("rc").flatMap { Int($0) }, hosts: [],
      stats: [:])
    let (first, last) = edgeLines(of: folder.appending(path: "events.jsonl"))
    if let start = first?["data"], first?["event"]?.stringValue == "run_start" {
      run.kind = start["kind"]?.stringValue
      run.hosts = start["hosts"]?.arrayValue?.compactMap(\.stringValue) ?? []
    }
    if let end = last?["data"], last?["event"]?.stringValue == "run_end" {
      run.durationMilliseconds = end["duration_ms"]?.intValue
      run.stats = end["stats"]?.objectValue ?? [:]
    }
    run.summary = summary(of: folder.appending(path: "plan.json"))
    return run
  }

  /// The counts of a run's plan, read without building the plan itself.
  static func summary(of url: URL) -> Plan.Summary? {
    struct Counts: Decodable { var summary: Plan.Summary }
    return (try? Data(contentsOf: url)).flatMap {
      try? JSONDecoder().decode(Counts.self, from: $0).summary
    }
  }

  /// The first and the last event of an events file, reading its first and last 64 KiB only.
  static func edgeLines(of url: URL) -> (JSONValue?, JSONValue?) {
    guard let handle = try? FileHandle(forReadingFrom: url) else { return (nil, nil) }
    defer { try? handle.close() }
    let head = (try? handle.read(upToCount: 64 << 10)) ?? Data()
    let size = (try? handle.seekToEnd()) ?? 0
    try? handle.seek(toOffset: size > 64 << 10 ? size - (64 << 10) : 0)
    let tail = (try? handle.readToEnd()) ?? Data()
    func decode(_ line: Data.SubSequence?) -> JSONValue? {
      line.flatMap { try? JSONDecoder().decode(JSONValue.self, from: Data($0)) }
    }
    let firstLine = head.split(separator: UInt8(ascii: "\n")).first
    let lastLine = tail.split(separator: UInt8(ascii: "\n")).last
    return (decode(firstLine), decode(lastLine))
  }
}
