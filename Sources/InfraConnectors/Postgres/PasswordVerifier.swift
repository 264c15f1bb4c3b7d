import Crypto
import Foundation

/// Passwords as PostgreSQL keeps them: a SCRAM-SHA-256 verifier (or an old MD5 hash), never
/// the password itself. A desired password is compared by computing its verifier with the live
/// one's salt and iterations, and set by sending a fresh verifier, so the clear password is
/// neither fetched from the server nor sent to it.
enum PasswordVerifier {
  /// PostgreSQL's own default iteration count.
  static let iterations = 4096

  /// Whether `password` of role `role` is the one `stored` (from `pg_authid.rolpassword`)
  /// verifies; `nil` when `stored` has a form this cannot check.
  static func matches(_ password: String, role: String, stored: String) -> Bool? {
    if stored.hasPrefix("md5"), stored.utf8.count == 35 {
      let digest = Insecure.MD5.hash(data: Data((password + role).utf8))
      return "md5" + digest.map { String(format: "%02x", $0) }.joined() == stored
    }
    guard let parsed = parse(stored) else { return nil }
    return scram(password, salt: parsed.salt, iterations: parsed.iterations) == stored
  }

  /// A new SCRAM-SHA-256 verifier of `password`, with a random salt.
  static func make(_ password: String) -> String {
    var salt = [UInt8](repeating: 0, count: 16)
    var generator = SystemRandomNumberGenerator()
    for index in salt.indices { salt[index] = generator.next() }
    return scram(password, salt: salt, iterations: iterations)
  }

  /// `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>` (RFC 5802, RFC 7677).
  static func scram(_ password: String, salt: [UInt8], iterations: Int) -> String {
    let salted = pbkdf2(prepared(password), salt: salt, iterations: iterations)
    let key = SymmetricKey(data: salted)
    let clientKey = Data(HMAC<SHA256>.authenticationCode(for: Data("Client Key".utf8), using: key))
    let storedKey = Data(SHA256.hash(data: clientKey))
    let serverKey = Data(HMAC<SHA256>.authenticationCode(for: Data("Server Key".utf8), using: key))
    return "SCRAM-SHA-256$\(iterations):\(Data(salt).base64EncodedString())$"
      + "\(storedKey.base64EncodedString()):\(serverKey.base64EncodedString())"
  }

  /// The salt and iteration count of a SCRAM-SHA-256 verifier.
  static func parse(_ stored: String) -> (salt: [UInt8], iterations: Int)? {
    guard stored.hasPrefix("SCRAM-SHA-256$") else { return nil }
    let parts = stored.dropFirst("SCRAM-SHA-256$".count).split(separator: "$")
    guard parts.count == 2 else { return nil }
    let head = parts[0].split(separator: ":")
    guard head.count == 2, let iterations = Int(head[0]), iterations > 0,
      let salt = Data(base64Encoded: String(head[1]))
    else { return nil }
    return ([UInt8](salt), iterations)
  }

  /// The password as SASLprep would give it for the common case: PostgreSQL normalizes with
  /// NFKC (and uses the raw bytes where SASLprep refuses a password, as for ASCII ones).
  private static func prepared(_ password: String) -> [UInt8] {
    if password.utf8.allSatisfy({ $0 < 0x80 }) { return Array(password.utf8) }
    return Array(password.precomposedStringWithCompatibilityMapping.utf8)
  }

  /// PBKDF2-HMAC-SHA-256 with a 32-byte result (one block).
  private static func pbkdf2(_ password: [UInt8], salt: [UInt8], iterations: Int) -> [UInt8] {
    let key = SymmetricKey(data: password)
    var block = [UInt8](HMAC<SHA256>.authenticationCode(for: salt + [0, 0, 0, 1], using: key))
    var result = block
    for _ in 1..<iterations {
      block = [UInt8](HMAC<SHA256>.authenticationCode(for: block, using: key))
      for index in result.indices { result[index] ^= block[index] }
    }
    return result
  }
}
