import Foundation
import InfraCore
import InfraTestSupport
import Testing

/// An address keeps one string; its segments, its order and its parts are read from it.
@Suite struct AddressTests {
  /// Segments in UTF-8 byte order, one after another: what `<` promised when an address kept
  /// its segments as an array.
  private static func segmentOrder(_ lhs: Address, _ rhs: Address) -> Bool {
    if lhs.prefix != rhs.prefix {
      return Array(lhs.prefix.utf8).lexicographicallyPrecedes(rhs.prefix.utf8)
    }
    return lhs.segments.lexicographicallyPrecedes(rhs.segments) {
      Array($0.utf8).lexicographicallyPrecedes($1.utf8)
    }
  }

  /// Random addresses of characters on both sides of `/` in byte order (`-`, `.`, `0`, a
  /// control character, `é`): the one-string comparison agrees with the segment by segment
  /// one on every pair, and the parts come back as they were given.
  @Test func oneStringOrdersAsItsSegmentsDo() {
    var random = SeededGenerator(seed: 11)
    let letters = ["a", "b", "-", ".", "0", "\u{1}", "é", " ", "z", "~"]
    let addresses = (0..<300).map { _ in
      let count = Int.random(in: 1...4, using: &random)
      let segments = (0..<count).map { _ in
        (0..<Int.random(in: 1...3, using: &random)).map { _ in
          letters.randomElement(using: &random)!
        }
        .joined()
      }
      return (
        Address(prefix: ["p", "q"].randomElement(using: &random)!, segments: segments), segments
      )
    }
    for (address, segments) in addresses {
      #expect(address.segments == segments)
      #expect(address.connector == segments[0])
      #expect(address.connectorPath == segments.dropFirst().joined(separator: "/"))
      #expect(address.path == segments.joined(separator: "/"))
      #expect(address.description == "\(address.prefix)/\(address.path)")
    }
    for (left, _) in addresses {
      for (right, _) in addresses {
        #expect((left < right) == Self.segmentOrder(left, right), "\(left) < \(right)")
      }
    }
  }

  @Test func addressesRoundTripThroughJSON() throws {
    let address = Address(prefix: "prod", segments: ["files", "web1", "etc", "motd"])
    let data = try JSONEncoder().encode(address)
    #expect(
      String(decoding: data, as: UTF8.self).contains(#""segments":["files","web1","etc","motd"]"#))
    #expect(try JSONDecoder().decode(Address.self, from: data) == address)
  }

  /// A file found below the repository's root keeps the root, not its whole path; one found
  /// elsewhere (a link's target) keeps that path. Both read back the path they were given.
  @Test func resourceFilesKeepTheRootOnlyWhenTheFileIsBelowIt() {
    let address = Address(prefix: "prod", segments: ["files", "web1", "motd"])
    let below = ResourceFile(
      address: address, filePath: "/repo/resources/prod/files/web1/motd", root: "/repo")
    let elsewhere = ResourceFile(
      address: address, filePath: "/repo/shared/motd", root: "/repo")
    let near = ResourceFile(
      address: address, filePath: "/repo2/resources/prod/files/web1/motd", root: "/repo")
    #expect(below.filePath == "/repo/resources/prod/files/web1/motd")
    #expect(elsewhere.filePath == "/repo/shared/motd")
    #expect(near.filePath == "/repo2/resources/prod/files/web1/motd")
    #expect(below.path == "resources/prod/files/web1/motd")
    #expect(below == ResourceFile(address: address, filePath: below.filePath))
    #expect(below != elsewhere)
    #expect(Set([below, elsewhere, near]).count == 3)
  }
}
