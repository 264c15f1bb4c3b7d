import Crypto
import Foundation
import InfraCore
import Testing

@Suite struct HexTests {
  /// Digests, arrays and sequences without contiguous storage all print as `sha256sum` does.
  @Test func hexOfDigestsArraysAndSequences() {
    #expect(
      SHA256.hash(data: Data("abc".utf8)).hexString
        == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    #expect(
      SHA256Hex.of(Data()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    #expect([UInt8]([0x00, 0x0f, 0xa0, 0xff]).hexString == "000fa0ff")
    #expect((0..<3).lazy.map { UInt8($0 * 17) }.hexString == "001122")
    #expect([UInt8]().hexString == "")
  }
}
