import Foundation
import InfraCore
import Testing

/// A file that cannot be read says why in the words that lead to the fix: "permission
/// denied", not Foundation's "You don't have permission", nor "no such file".
@Suite struct ReadFailureTests {
  @Test func aPermissionProblemSaysPermissionDenied() {
    let refused = NSError(
      domain: NSCocoaErrorDomain, code: CocoaError.fileReadNoPermission.rawValue,
      userInfo: [NSUnderlyingErrorKey: NSError(domain: NSPOSIXErrorDomain, code: Int(EACCES))])
    #expect(BoundedRead.reason(refused) == "permission denied (check its permissions and owner)")
    #expect(
      BoundedRead.reason(NSError(domain: NSPOSIXErrorDomain, code: Int(EPERM)))
        == "permission denied (check its permissions and owner)")
  }

  @Test func aMissingFileSaysSo() throws {
    let missing = URL(fileURLWithPath: "/nonexistent-\(UUID().uuidString)/file")
    #expect(throws: (any Error).self) { try Data(contentsOf: missing) }
    do {
      _ = try Data(contentsOf: missing)
    } catch {
      #expect(BoundedRead.reason(error) == "there is no such file")
    }
  }
}
