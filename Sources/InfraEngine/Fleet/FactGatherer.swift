import Foundation
import InfraCore
import InfraTransport
import Synchronization

/// Gathers one host's facts in the first command a run sends there, so that they cost no round
/// trip of their own: the facts script runs first, prints its lines and a marker no output can
/// hold by chance, then the command runs as it would have; the marker and what precedes it are
/// cut from what the command's caller sees.
final class FactGatherer: Sendable {
  private enum Phase {
    case idle
    /// A command carrying the facts script is on its way; these wait for its end.
    case gathering([CheckedContinuation<Void, Never>])
    case gathered(HostFacts)
    /// The command ran but its output did not hold the facts: not asked again in this run.
    case unknown(String)
  }

  private let phase = Mutex(Phase.idle)
  /// Ends the facts' output: random per host and run.
  private let marker = "infra-facts-end-" + UUID().uuidString.lowercased()
  private let onGathered: @Sendable (HostFacts) -> Void

  init(onGathered: @escaping @Sendable (HostFacts) -> Void) {
    self.onGathered = onGathered
  }

  /// The facts, if gathered already.
  var gathered: HostFacts? {
    phase.withLock { if case .gathered(let facts) = $0 { facts } else { nil } }
  }

  /// `base`, with the facts gathered in its first command.
  func wrapping(_ base: any Transport) -> any Transport {
    FactGatheringTransport(base: base, gatherer: self)
  }

  /// The facts: as gathered, or once the command carrying them ends, or (when nothing else has
  /// run on the host yet, or that command could not tell them) gathered now, by a command of
  /// their own through `base`.
  func facts(through base: any Transport) async throws -> HostFacts {
    while true {
      enum Next {
        case done(HostFacts)
        case failed(String)
        case wait
        case gather
      }
      let next = phase.withLock { phase -> Next in
        switch phase {
        case .gathered(let facts): return .done(facts)
        case .unknown(let reason): return .failed(reason)
        case .gathering: return .wait
        case .idle:
          phase = .gathering([])
          return .gather
        }
      }
      switch next {
      case .done(let facts): return facts
      case .failed(let reason): throw FactsUnavailable(reason: reason)
      case .wait:
        await withCheckedContinuation { continuation in
          let waiting = phase.withLock { phase in
            guard case .gathering(let waiters) = phase else { return false }
            phase = .gathering(waiters + [continuation])
            return true
          }
          if !waiting { continuation.resume() }
        }
      case .gather:
        let result: CommandResult
        do {
          result = try await base.run(carrying(.raw(":")), input: nil, timeout: nil)
        } catch {
          finish(nil)
          throw FactsUnavailable(reason: "\(error)")
        }
        let (facts, _) = split(result.stdout)
        finish(facts, exitCode: result.exitCode)
        guard let facts else {
          throw FactsUnavailable(reason: Self.missing(exitCode: result.exitCode))
        }
        return facts
      }
    }
  }

  private static func missing(exitCode: Int32) -> String {
    "the command that carried them printed none of them (exit \(exitCode)): is its shell POSIX sh?"
  }

  /// Whether the next command should carry the facts script; true once, until it ends.
  fileprivate func claim() -> Bool {
    phase.withLock { phase in
      guard case .idle = phase else { return false }
      phase = .gathering([])
      return true
    }
  }

  /// `command`, after the facts script and the marker.
  fileprivate func carrying(_ command: ShellCommand) -> ShellCommand {
    .raw(HostFacts.script + " printf '\\n%s\\n' " + marker + ";") + command
  }

  /// The facts in `output`, and the command's own output after the marker; no facts, and
  /// `output` whole, when the marker is not there.
  fileprivate func split(_ output: Data) -> (HostFacts?, Data) {
    let line = Data("\n\(marker)\n".utf8)
    guard let range = output.range(of: line) else { return (nil, output) }
    let facts = HostFacts.parse(
      Substring(String(decoding: output[..<range.lowerBound], as: UTF8.self)))
    return (facts, Data(output[range.upperBound...]))
  }

  /// Records how gathering ended and wakes the waiters: `nil` facts from a command that ended
  /// (with `exitCode`) are not asked again; from one that did not, they may be.
  fileprivate func finish(_ facts: HostFacts?, exitCode: Int32? = nil) {
    let waiters = phase.withLock { phase -> [CheckedContinuation<Void, Never>] in
      guard case .gathering(let waiters) = phase else { return [] }
      if let facts {
        phase = .gathered(facts)
      } else if let exitCode {
        phase = .unknown(Self.missing(exitCode: exitCode))
      } else {
        phase = .idle
      }
      return waiters
    }
    if let facts { onGathered(facts) }
    for waiter in waiters { waiter.resume() }
  }
}

/// A host's connection whose first command also gathers the host's facts.
private struct FactGatheringTransport: Transport {
  let base: any Transport
  let gatherer: FactGatherer

  var host: InventoryHost { base.host }

  func connect() async throws { try await base.connect() }

  func disconnect() async { await base.disconnect() }

  func release() async { await base.release() }

  func run(_ command: ShellCommand, input: Data?, timeout: Duration?) async throws
    -> CommandResult
  {
    guard gatherer.claim() else {
      return try await base.run(command, input: input, timeout: timeout)
    }
    do {
      var result = try await base.run(gatherer.carrying(command), input: input, timeout: timeout)
      let (facts, output) = gatherer.split(result.stdout)
      result.stdout = output
      gatherer.finish(facts, exitCode: result.exitCode)
      return result
    } catch TransportError.connectionLost(let host, let reason, var partial) {
      // What the command confirmed before the connection went (an installer's ops) must read
      // as it would have without the facts.
      let (facts, output) = gatherer.split(partial.stdout)
      partial.stdout = output
      gatherer.finish(facts)
      throw TransportError.connectionLost(host: host, reason: reason, partial: partial)
    } catch {
      gatherer.finish(nil)
      throw error
    }
  }

  func run(
    _ command: ShellCommand, streaming input: StreamedInput, timeout: Duration?,
    output: StreamedOutput?
  ) async throws -> CommandResult {
    try await base.run(command, streaming: input, timeout: timeout, output: output)
  }

  func put(_ content: Data, at path: String, attributes: FileAttributes) async throws {
    try await base.put(content, at: path, attributes: attributes)
  }

  func get(_ path: String) async throws -> Data {
    try await base.get(path)
  }
}
