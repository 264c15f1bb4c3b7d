import Foundation

/// Standard input written while a command runs, chunk by chunk, for input too large to hold in
/// memory: a batch of file contents read from the repository as the host takes them.
package struct StreamedInput: Sendable {
  /// Sends one chunk to the command; throws once the command no longer reads its input.
  package typealias Send = (Data) throws -> Void

  let produce: @Sendable (Send) throws -> Void

  /// `produce` is called once, on a thread of its own, while the command runs; the input
  /// ends when it returns or throws. An error it throws is not reported: how the command took
  /// an input cut short is its result.
  package init(_ produce: @escaping @Sendable (Send) throws -> Void) {
    self.produce = produce
  }

  /// All of it, in memory: for transports that can only send input whole.
  package func collected() -> Data {
    var data = Data()
    try? produce { data.append($0) }
    return data
  }
}

/// Receives a command's standard output a chunk at a time, as it arrives: called in order, from
/// one thread at a time, never after the command's result is returned.
package typealias StreamedOutput = @Sendable (Data) -> Void
