import Foundation
import InfraCore
import InfraTransport
import Synchronization

/// How a run works: how many hosts at once, for how long, where it keeps its artifacts.
public struct RunSettings: Sendable {
  /// The most hosts worked on at once.
  public var parallelism: Int
  /// After this long the run stops as `timeout`: what may be cut short stops, running ops
  /// finish.
  public var timeout: Duration?
  /// Where to keep the run's artifacts; `nil` keeps none.
  public var artifacts: RunArtifacts.Settings?
  /// How hosts are reached; the repository's transports (builtin and `transports:`
  /// programs) when `nil`.
  package var transports: (any TransportProvider)?
  /// Whether `RunResult.events` holds the events about single resources (reads, planned
  /// changes, ops) besides those of the run and its hosts. Without them, a run over many
  /// resources holds no event after delivering it: the command line writes each as it comes
  /// (artifacts, `--events`) and keeps none; an embedder can read `events.jsonl` instead.
  public var keepsResourceEvents = true

  /// Ten hosts at once, no timeout, no artifacts and every event kept, unless told otherwise.
  public init(
    parallelism: Int = 10, timeout: Duration? = nil, artifacts: RunArtifacts.Settings? = nil
  ) {
    self.parallelism = parallelism
    self.timeout = timeout
    self.artifacts = artifacts
  }
}

/// What a run did.
public struct RunResult<Output: Sendable>: Sendable {
  public var id: String
  /// What kind of job the run was.
  public var kind: RunKind
  /// How the run ended: `successful`, `failed`, `canceled` or `timeout`.
  public var status: RunStatus
  /// 0 successful, 1 failed (or declined at its confirmation), 130 canceled, 124 timed out.
  public var rc: Int32
  /// Whether it ended at a confirmation that said no.
  public var declined: Bool
  /// What the job left: a plan, an apply's outcomes...
  public var output: Output
  /// Per host, in inventory order.
  public var stats: [HostStats]
  /// Every event, in order; only those of the run and its hosts when the run's settings say
  /// not to keep the resources' (`keepsResourceEvents`).
  public var events: [RunEventRecord]
  /// How long the run took, from starting to its end.
  public var duration: Duration
  /// The run's artifacts folder, when it kept one.
  public var artifacts: URL?

  /// The events about one host, in order.
  public func events(host: String) -> [RunEventRecord] {
    events.filter { $0.event.host == host }
  }

  /// The facts of each host the run gathered them from, by host name.
  public var facts: [String: HostFacts] { factsByHost(in: events) }
}

/// One run you can watch and embed, as ansible-runner's: an id, a status that moves
/// `unstarted → starting → running → successful | failed | canceled | timeout`, events as they
/// happen, artifacts on disk, per-host stats, cancel and timeout. What it does is its ``RunJob``.
///
/// Cancel with `cancel()` or by cancelling the task that awaits `start()`: reading and
/// planning stop at once, no new op starts, ops already running finish (no file is left
/// half-written), connections are closed, and the run ends as `canceled`.
public final class Run<Job: RunJob>: Sendable {
  /// The run's id, e.g. `20261121T194512.345Z-3f2a9c`: the name of its artifacts folder.
  public let id: String
  /// What the run does.
  public let job: Job
  /// The workspace the run works in.
  public let workspace: Workspace
  /// How the run works: parallelism, timeout, artifacts.
  public let settings: RunSettings
  /// The run's artifacts folder writer, when the settings asked for one.
  public let artifacts: RunArtifacts?
  /// Warnings about earlier runs found when this one was made: those killed before they could
  /// record their end. The run repeats them as `diagnostic` events once it starts.
  public let notices: [Diagnostic]
  private let stop = StopSignal()
  private let onStatus: (@Sendable (RunStatus) -> Void)?
  private let state = Mutex(State())
  private let onEvent: (@Sendable (RunEventRecord) -> Void)?
  private let onEvents: (@Sendable ([RunEventRecord]) -> Void)?
  /// Numbers events and hands them to the handlers in order, in batches.
  private let outbox = EventOutbox()
  /// Held while events or a status are handed to the handlers, so that a status is never
  /// handed over in the middle of a batch. Separate from `state`, so a handler may read
  /// `status`.
  private let delivery = Mutex(())

  private struct State {
    var status = RunStatus.unstarted
    var records: [RunEventRecord] = []
    /// The run, once started.
    var work: Task<RunResult<Job.Output>, Never>?
  }

  /// Prepares a run; creates its artifacts folder now, so a folder that cannot be written is an
  /// error before any host is touched.
  ///
  /// The handlers are called by one thread at a time, events in order: `onEvents` with the
  /// events that came together (to write them together), then `onEvent` with each. An event
  /// about a single resource may reach them a moment after the thread that reported it went
  /// on; one about the run or a host, with everything before it, before the run goes on.
  public init(
    _ job: Job, in workspace: Workspace, settings: RunSettings = RunSettings(),
    onEvent: (@Sendable (RunEventRecord) -> Void)? = nil,
    onEvents: (@Sendable ([RunEventRecord]) -> Void)? = nil,
    onStatus: (@Sendable (RunStatus) -> Void)? = nil
  ) throws {
    let id = makeRunID()
    self.id = id
    self.job = job
    self.workspace = workspace
    self.settings = settings
    self.onStatus = onStatus
    let artifacts = try settings.artifacts.map { try RunArtifacts(id: id, settings: $0) }
    self.artifacts = artifacts
    self.onEvent = onEvent
    self.onEvents = onEvents
    notices =
      artifacts.map { artifacts in
        let runs = workspace.repository.relativePath(
          of: artifacts.folder.deletingLastPathComponent())
        return artifacts.foundKilled.map { killed in
          .warning(
            "run \(killed) ended without recording its end: its process was killed, or its machine stopped",
            hint:
              "its status is now `killed`; what it did until then is in \(runs)/\(killed)/events.jsonl"
          )
        }
      } ?? []
    artifacts?.write(status: .unstarted)
  }

  /// Where the run is now; safe to read from any task, the event and status handlers included.
  public var status: RunStatus { state.withLock { $0.status } }

  /// The facts of `host`, once the run has gathered them (with its first command there):
  /// ansible-runner's `get_fact_cache`. `nil` before that, or when the run never reached it.
  public func facts(of host: String) -> HostFacts? {
    state.withLock { factsByHost(in: $0.records)[host] }
  }

  /// Stops the run gracefully: what may be cut short stops; running ops finish.
  public func cancel() {
    stop.stop(.canceled)
  }

  /// Runs to the end and returns what happened. A run starts once: a later call waits for the
  /// same end and returns the same result.
  public func start() async -> RunResult<Job.Output> {
    // The work runs detached so that cancelling the caller only asks it to stop: an op that has
    // started is never cut off half-way.
    let work = state.withLock { state in
      if let work = state.work { return work }
      let work = Task.detached { await self.execute() }
      state.work = work
      return work
    }
    return await withTaskCancellationHandler {
      await work.value
    } onCancel: {
      self.cancel()
    }
  }

  private func execute() async -> RunResult<Job.Output> {
    let clock = ContinuousClock()
    let started = clock.now
    set(.starting)
    let fleet = Fleet(
      transports: settings.transports
        ?? RepositoryTransports(config: workspace.config, repository: workspace.repository),
      parallelism: settings.parallelism, stop: stop, events: { self.emit($0) })
    let context = RunContext(
      runID: id, workspace: workspace, fleet: fleet, artifacts: artifacts,
      emit: { self.emit(contentsOf: $0) })
    let (scope, work) = job.prepare(workspace)
    emit(.runStart(kind: job.kind, hosts: scope.hosts.map(\.name), resources: scope.resources))
    for diagnostic in workspace.diagnostics.all + notices { emit(.diagnostic(diagnostic)) }
    set(.running)
    let timer = settings.timeout.map { limit in
      Deadline(after: limit) { [stop] in stop.stop(.timeout) }
    }
    let ended = await job.perform(work, in: context)
    timer?.cancel()
    await context.artifactsWritten()
    await fleet.close()

    let status: RunStatus =
      switch stop.stopReason {
      case .timeout: .timeout
      case .canceled: .canceled
      case nil where ended.declined: .canceled
      case nil: ended.failed ? .failed : .successful
      }
    let rc =
      ended.declined && stop.stopReason == nil
      ? 1 : status == .failed ? ended.failureCode ?? status.rc : status.rc
    let stats = context.hostStats
    let duration = clock.now - started
    emit(.runEnd(status: status, rc: rc, stats: stats, duration: duration))
    artifacts?.write(rc: rc)
    set(status)
    return RunResult(
      id: id, kind: job.kind, status: status, rc: rc, declined: ended.declined,
      output: ended.output, stats: stats, events: state.withLock { $0.records },
      duration: duration, artifacts: artifacts?.folder)
  }

  // MARK: events and status

  /// Events about single resources come by the thousand from the hosts' threads and may be
  /// delivered by another thread a moment later; the run's and hosts' own are delivered, with
  /// everything before them, before `emit` returns.
  private func emit(_ event: RunEvent) {
    emit(contentsOf: CollectionOfOne(event))
  }

  private func emit(contentsOf events: some Collection<RunEvent>) {
    outbox.post(contentsOf: events, waits: events.contains { $0.address == nil }) {
      deliver($0)
    }
  }

  private func deliver(_ batch: [EventOutbox.Numbered]) {
    let records = records(of: batch)
    state.withLock { state in
      for record in records where settings.keepsResourceEvents || record.event.address == nil {
        state.records.append(record)
      }
    }
    delivery.withLock { _ in
      artifacts?.append(records)
      onEvents?(records)
      if let onEvent { records.forEach(onEvent) }
    }
  }

  /// The batch's records, each serialized once: on every core when there are many (a host's
  /// 10,000 planned changes took 0.1 s on one core while the other was idle).
  private func records(of batch: [EventOutbox.Numbered]) -> [RunEventRecord] {
    batch.mapSlicesOnEveryCore { [id] slice in
      slice.map {
        RunEventRecord(runID: id, counter: $0.counter, time: $0.time, event: $0.event)
      }
    }.flatMap { $0 }
  }

  private func set(_ status: RunStatus) {
    outbox.flush()
    delivery.withLock { _ in
      state.withLock { $0.status = status }
      artifacts?.write(status: status)
      onStatus?(status)
    }
  }
}

/// The facts that `host_facts` events among `records` gave, by host.
private func factsByHost(in records: [RunEventRecord]) -> [String: HostFacts] {
  var facts: [String: HostFacts] = [:]
  for record in records {
    if case .hostFacts(let host, let gathered) = record.event { facts[host] = gathered }
  }
  return facts
}
