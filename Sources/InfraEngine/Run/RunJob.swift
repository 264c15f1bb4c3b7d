import Dispatch
import InfraCore
import InfraTransport
import Synchronization

/// What a run does on its hosts: plan, apply, apply a saved plan, pull, import, run a
/// command or unlock. A ``Run`` gives each the same life: status, events, stats, artifacts,
/// cancel and timeout; the job says what happens in between.
public protocol RunJob: Sendable {
  /// What the job leaves for whoever started the run (a plan, an apply's outcomes...).
  associatedtype Output: Sendable
  /// What the job will do, worked out once from the workspace before the run starts.
  associatedtype Work: Sendable

  /// What the job is, as `run_start` and the artifacts say it.
  var kind: RunKind { get }

  /// Works out what to do in `workspace`, and the hosts and number of resources (or other
  /// items) that `run_start` announces.
  func prepare(_ workspace: Workspace) -> (scope: RunScope, work: Work)

  /// Does `work`, on hosts through `context.fleet`, reporting each host's stats through
  /// `context.hostDone` when the host is done.
  func perform(_ work: Work, in context: RunContext) async -> JobResult<Output>
}

/// The hosts a run works on and how many resources it will go through.
public struct RunScope: Sendable {
  /// The hosts the run works on, as `run_start` lists them.
  public var hosts: [InventoryHost]
  /// How many resources (or other items) the run will go through.
  public var resources: Int

  /// A scope, as a job's `prepare` works it out.
  public init(hosts: [InventoryHost], resources: Int) {
    self.hosts = hosts
    self.resources = resources
  }
}

/// How a job ended.
public struct JobResult<Output: Sendable>: Sendable {
  /// What the job leaves for whoever started the run.
  public var output: Output
  /// Whether anything it had to do failed (the run ends `failed` unless it was stopped).
  public var failed: Bool
  /// Whether it ended at a confirmation that said no (the run ends `canceled`, with exit 1).
  public var declined: Bool
  /// The exit code of a failed run, when the job has its own (124 when a command of
  /// `infra run` was stopped by its timeout, as timeout(1) exits); 1 when `nil`.
  public var failureCode: Int32?

  /// A job's result; `declined` only when a confirmation said no.
  public init(output: Output, failed: Bool, declined: Bool = false, failureCode: Int32? = nil) {
    self.output = output
    self.failed = failed
    self.declined = declined
    self.failureCode = failureCode
  }
}

/// What a job works with: the workspace, the fleet of its hosts, and the run's events,
/// stats and artifacts.
public final class RunContext: Sendable {
  /// The id of the run the job is part of.
  public let runID: String
  /// The workspace the run works in.
  public let workspace: Workspace
  package let fleet: Fleet
  let artifacts: RunArtifacts?
  private let emitter: @Sendable ([RunEvent]) -> Void
  private let stats = Mutex<[String: HostStats]>([:])
  /// The artifacts being written off the run's way (`plan.json`), which the run waits for
  /// before it ends.
  private let writing = DispatchGroup()

  init(
    runID: String, workspace: Workspace, fleet: Fleet, artifacts: RunArtifacts?,
    emit: @escaping @Sendable ([RunEvent]) -> Void
  ) {
    self.runID = runID
    self.workspace = workspace
    self.fleet = fleet
    self.artifacts = artifacts
    emitter = emit
  }

  /// Whether the run was asked to stop.
  public var isStopped: Bool { fleet.stop.isStopped }

  /// Reports an event of the run.
  package func emit(_ event: RunEvent) {
    emitter([event])
  }

  /// Reports events that happened together (a host's planned changes, the ops a host
  /// confirmed at once): numbered one after the other and written together.
  package func emit(contentsOf events: [RunEvent]) {
    emitter(events)
  }

  /// A host is done: its stats (with its round trips) become its `host_done` event and its
  /// entry in the run's stats. A host is done once; a second report is ignored.
  package func hostDone(_ host: String, _ counts: HostStats) {
    var entry = counts
    entry.host = host
    entry.roundTrips = fleet.roundTrips.counts(for: host)
    let first = stats.withLock { stats in
      guard stats[host] == nil else { return false }
      stats[host] = entry
      return true
    }
    if first { emit(.hostDone(entry)) }
  }

  /// The stats of every host done, in inventory order.
  var hostStats: [HostStats] {
    let stats = stats.withLock { $0 }
    return workspace.inventory.hosts.compactMap { stats[$0.name] }
  }

  /// Keeps the plan with the run (`plan.json`) and announces it (`plan_complete`). The
  /// document is written on a thread of its own while the run goes on: a plan of 10,000 new
  /// files is a document of 19 MB, a tenth of a second that an apply waited before its first
  /// write. The run ends once it is written.
  package func planned(_ plan: Plan) {
    if let artifacts {
      writing.enter()
      DispatchQueue.global(qos: .utility).async { [writing] in
        artifacts.write(plan: plan)
        writing.leave()
      }
    }
    emit(.planComplete(plan.summary))
  }

  /// Waits for the artifacts being written off the run's way.
  func artifactsWritten() async {
    await withCheckedContinuation { continuation in
      writing.notify(queue: .global()) { continuation.resume() }
    }
  }
}
