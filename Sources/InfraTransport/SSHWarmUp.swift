import Foundation
import InfraCore
import Synchronization

/// Opens hosts' SSH masters while `infra` still loads the repository, so that a run's first
/// command does not wait for a handshake: loading and connecting take their time side by side.
/// Only masters that outlive a run (`ssh_persist`) are opened ahead: they are found by their
/// socket's name, which a run's own connection to the host uses too.
package enum SSHWarmUp {
  /// The masters being opened, by socket name, with how it went.
  private static let pending = Mutex<[String: Task<Result<Void, TransportError>, Never>]>([:])

  /// Starts opening, in the background, the master of each of `hosts` reached over SSH with
  /// `ssh_persist` above 0, `parallelism` at a time: handshakes are work for both ends, and
  /// fifty at once on a small machine take longer than ten at a time.
  package static func start(_ hosts: [InventoryHost], parallelism: Int = 10) {
    let slots = Slots(max(1, parallelism))
    for host in hosts {
      guard case .ssh = host.connection, host.ssh.persistSeconds > 0,
        let transport = try? SSHTransport(host: host)
      else { continue }
      let key = transport.persistentSocketName
      pending.withLock { pending in
        guard pending[key] == nil else { return }
        pending[key] = Task {
          await slots.acquire()
          defer { Task { await slots.release() } }
          return await transport.openAhead()
        }
      }
    }
  }

  /// A counting semaphore for tasks.
  private actor Slots {
    private var free: Int
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(_ count: Int) { free = count }

    func acquire() async {
      guard free == 0 else {
        free -= 1
        return
      }
      await withCheckedContinuation { waiting.append($0) }
    }

    func release() {
      if waiting.isEmpty { free += 1 } else { waiting.removeFirst().resume() }
    }
  }

  /// Waits for the opening of the master named `key`, if one was started (once): whether it
  /// is open, or why not; `nil` when none was started, or it was waited for already.
  static func wait(for key: String) async -> Result<Void, TransportError>? {
    guard let task = pending.withLock({ $0.removeValue(forKey: key) }) else { return nil }
    return await task.value
  }
}
