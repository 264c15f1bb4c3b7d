import Crypto
import Foundation
import InfraCore
import InfraTestSupport
import Testing

@testable import InfraConnectors

/// A content file's digest is kept as its 32 bytes and written out as `sha256sum` does.
@Suite struct ContentDigestTests {
  @Test func digestsReadFromFilesAndMemoryMatchSHA256Sum() throws {
    let folder = try TemporaryFolder("digest")
    for (index, data) in [
      Data(), Data("one line\n".utf8), Data((0..<200_000).map { UInt8($0 % 251) }),
    ]
    .enumerated() {
      let url = folder.appending("f\(index)")
      try data.write(to: url)
      let read = try ContentDigest.read(url.path, keepingUpTo: 0) { _ in }
      #expect(read.sha256 == SHA256Hex.of(data))
      #expect(read.sha256.count == 64)
      #expect(read == ContentDigest.of(data))
      #expect(read.size == data.count)
    }
    let (a, b) = (
      SHA256Bytes(SHA256.hash(data: Data("a".utf8))), SHA256Bytes(SHA256.hash(data: Data("b".utf8)))
    )
    #expect(a != b)
    #expect(Set([a, b, a]).count == 2)
  }
}
