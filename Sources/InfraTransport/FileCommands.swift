/// Shell commands that move whole files through `run`, for transports whose files are only
/// reachable through a shell (SSH, sudo): the same atomic steps `LocalTransport` takes natively.
package enum FileCommands {
  /// Exit code of `get` when the file does not exist.
  package static let notFoundExitCode: Int32 = 66
  /// Exit code of `get` when the path is not a regular file.
  package static let notAFileExitCode: Int32 = 65

  /// Reads standard input into a private temporary file beside `path`, sets its owner and mode,
  /// syncs it, renames it over `path`, then syncs the folder, so the new file survives a crash
  /// once the command has ended. The temporary file is removed on any failure. (`sync FILE`
  /// is GNU's; elsewhere `sync` flushes everything, which is slower but as safe.)
  package static func put(_ path: String, attributes: FileAttributes) -> ShellCommand {
    let folder = parentFolder(of: path)
    var steps = [
      "set -e",
      // Named after this shell's pid, so a later apply knows a leftover for its dead writer's.
      "t=$(mktemp " + shellQuote((folder == "/" ? "" : folder) + "/.infra-tmp-") + "$$-XXXXXX)",
      #"trap 'rm -f "$t"' EXIT"#,
      #"cat > "$t""#,
    ]
    if attributes.owner != nil || attributes.group != nil {
      let owner = attributes.owner ?? ""
      let group = attributes.group.map { ":" + $0 } ?? ""
      steps.append(ShellCommand("chown", owner + group).string + #" "$t""#)
    }
    steps.append(
      ShellCommand("chmod", String(attributes.mode ?? 0o644, radix: 8)).string + #" "$t""#)
    steps.append(#"sync -- "$t" 2>/dev/null || sync"#)
    steps.append(#"mv -f "$t" "# + shellQuote(path))
    steps.append("sync -- " + shellQuote(folder) + " 2>/dev/null || :")
    steps.append("trap - EXIT")
    return ShellCommand("sh", "-c", steps.joined(separator: "\n"))
  }

  /// Prints the file at `path`, or exits with `notFoundExitCode` / `notAFileExitCode`.
  package static func get(_ path: String) -> ShellCommand {
    let quoted = shellQuote(path)
    let script = """
      if [ -f \(quoted) ]; then exec cat \(quoted)
      elif [ -e \(quoted) ] || [ -L \(quoted) ]; then exit \(notAFileExitCode)
      else exit \(notFoundExitCode); fi
      """
    return ShellCommand("sh", "-c", script)
  }

  /// `/a/b` for `/a/b/c`, `/` for `/c`.
  package static func parentFolder(of path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "." }
    let parent = String(path[..<slash])
    return parent.isEmpty ? "/" : parent
  }
}
