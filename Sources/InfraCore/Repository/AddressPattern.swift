import Foundation

/// A resource file or folder named on the command line, e.g. `infra plan resources/prod/files/web1`.
public struct AddressPattern: Hashable, Sendable, CustomStringConvertible {
  /// The prefix folder the pattern selects in.
  public var prefix: String
  /// Segments below the prefix folder; empty selects the whole prefix.
  public var segments: [String]

  /// A pattern from its parts, as `Repository.pattern(for:from:prefixes:)` makes it.
  public init(prefix: String, segments: [String]) {
    self.prefix = prefix
    self.segments = segments
  }

  /// Whether `address` is the named file or lies inside the named folder.
  public func matches(_ address: Address) -> Bool {
    address.prefix == prefix && address.segments.count >= segments.count
      && Array(address.segments.prefix(segments.count)) == segments
  }

  public var description: String {
    (["resources", prefix] + segments).joined(separator: "/")
  }
}

extension Repository {
  /// Turns a command-line path into a pattern. Accepts a path to a file or folder under
  /// `resources/<prefix>/` (relative to `directory` or absolute), or an address as plans print
  /// it (`prod/files/web1/etc/motd`). Never reaches outside the prefix: `..` is resolved first.
  public func pattern(for argument: String, from directory: URL, prefixes: [String]) -> Result<
    AddressPattern, Diagnostic
  > {
    let resources = resourcesURL.path
    let absolute =
      argument.hasPrefix("/")
      ? URL(fileURLWithPath: argument) : directory.appending(path: argument)
    let path = absolute.standardizedFileURL.path
    if path.hasPrefix(resources + "/") {
      let parts = path.dropFirst(resources.count + 1).split(separator: "/").map(String.init)
      guard let prefix = parts.first, prefixes.contains(prefix) else {
        return .failure(notAPrefix(argument, prefixes: prefixes))
      }
      return .success(AddressPattern(prefix: prefix, segments: Array(parts.dropFirst())))
    }
    let parts = argument.split(separator: "/").map(String.init)
    if !argument.hasPrefix("/"), let prefix = parts.first, prefixes.contains(prefix),
      !parts.contains(".."), !parts.contains(".")
    {
      return .success(AddressPattern(prefix: prefix, segments: Array(parts.dropFirst())))
    }
    if path == resources || path.hasPrefix(resources + "/") {
      return .failure(notAPrefix(argument, prefixes: prefixes))
    }
    return .failure(
      .error(
        "'\(argument)' is not inside resources/<prefix>/ of this repository",
        hint:
          "name a resource file or folder under \(relativePath(of: resourcesURL))/, or an address such as \(prefixes.first ?? "prod")/files/..."
      ))
  }

  private func notAPrefix(_ argument: String, prefixes: [String]) -> Diagnostic {
    .error(
      "'\(argument)' is not inside a prefix folder",
      hint: "prefixes in infra.yaml: \(prefixes.joined(separator: ", "))")
  }
}
