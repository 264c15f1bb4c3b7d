import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// What a file descriptor needs a loop for.
package enum Descriptor {
  /// Writes all of `data` to `descriptor`, through partial and interrupted writes. Returns
  /// `false` when a write fails, with `errno` saying why.
  package static func writeAll(_ descriptor: Int32, _ data: Data) -> Bool {
    data.withUnsafeBytes { buffer in
      var offset = 0
      while offset < buffer.count {
        let written = write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
        if written < 0 {
          if errno == EINTR { continue }
          return false
        }
        offset += written
      }
      return true
    }
  }

  /// A pipe whose two ends are closed in every program this process starts, made so in one
  /// step: no other thread can start a program that inherits them in between. Returns the
  /// reading and the writing end, or `nil` with `errno` saying why.
  package static func closeOnExecPipe() -> (reading: Int32, writing: Int32)? {
    var ends: [Int32] = [-1, -1]
    guard systemPipe2(&ends, O_CLOEXEC) == 0 else { return nil }
    return (ends[0], ends[1])
  }

  /// Makes a unique file from `template` (ending in `XXXXXX`, rewritten in place to the name
  /// made), closed in every program this process starts from the moment it exists. Returns
  /// its descriptor, or -1 with `errno` saying why.
  package static func closeOnExecTemporaryFile(_ template: inout [CChar]) -> Int32 {
    systemMakeTemporary(&template, O_CLOEXEC)
  }
}

/// glibc's `pipe2`, which Swift's Glibc module does not export.
@_silgen_name("pipe2")
private func systemPipe2(_ descriptors: UnsafeMutablePointer<Int32>, _ flags: Int32) -> Int32

/// glibc's `mkostemp`, which Swift's Glibc module does not export.
@_silgen_name("mkostemp")
private func systemMakeTemporary(_ template: UnsafeMutablePointer<CChar>, _ flags: Int32)
  -> Int32
