import Foundation
import InfraCore
import Testing

/// What the mask hides, in which forms, and what it leaves alone.
@Suite struct SecretMaskTests {
  @Test func aValueIsHiddenInEachOfItsForms() {
    let mask = SecretMask()
    #expect(mask.isEmpty)
    let secret = "hunter2-\"quoted\""
    mask.register(secret)
    let bytes = Data(secret.utf8)
    let hex = bytes.map { String(format: "%02x", $0) }.joined()
    for form in [
      secret, bytes.base64EncodedString(), hex, hex.uppercased(), SHA256Hex.of(bytes),
      #"hunter2-\"quoted\""#,
    ] {
      #expect(mask.masked("before \(form) after") == "before *** after", "\(form)")
      #expect(mask.reveals("x\(form)y"))
    }
    #expect(mask.masked("nothing here") == "nothing here")
    #expect(!mask.reveals("nothing here"))
  }

  @Test func shortValuesAreNotMasked() {
    let mask = SecretMask()
    mask.register("abc")
    #expect(mask.isEmpty)
    #expect(mask.masked("abc abc") == "abc abc")
  }

  @Test func aLongerValueIsHiddenWholeBeforeOneItContains() {
    let mask = SecretMask()
    mask.register("token")
    mask.register("token-and-more")
    #expect(mask.masked("is token-and-more, token") == "is ***, ***")
    #expect(mask.masked("tokentoken-and-moretok") == "******tok")
    #expect(mask.masked(Data("é token".utf8)) == Data("é ***".utf8))
  }

  @Test func aFileOfOneLineIsHiddenWholeAndKeyMaterialLineByLine() {
    let mask = SecretMask()
    mask.register(content: Data("  s3cr3t-password \n".utf8))
    #expect(mask.masked("it is s3cr3t-password") == "it is ***")
    let key = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC"
    mask.register(content: Data("-----BEGIN PRIVATE KEY-----\n\(key)\nshort\n".utf8))
    #expect(mask.masked("line \(key)") == "line ***")
    // Lines with spaces, and short ones, are what any file has: left visible.
    let common = "short and -----BEGIN PRIVATE KEY-----"
    #expect(mask.masked(common) == common)
    #expect(mask.masked(Data([0xFF, 0xFE])) == Data([0xFF, 0xFE]))
  }
}
