import Foundation
import InfraTransport

/// Installs many files on a host in one command: their contents stream over the connection
/// the transport already has, and each file is written atomically (a private temporary file in
/// its folder, owner and mode, then a rename), all in one process on the host.
///
/// The stream is a sequence of ops, each a header line, raw bytes, then one byte:
///
///     <kind> <size> <mode> <owner> <group> <path length>[ <check length>]\n<path bytes>
///     [<check bytes>]<size content bytes><end>
///
/// `kind` is `W` (write the content), `L` (make a symbolic link to the content), `D` (make a
/// folder), `A` (set mode and owner only) or `R` (remove), then flags: `B` keeps the file a write replaces, by a hard
/// link, as `<path>.<UTC time>~` with its content, mode and owner; `M` moves what is at the
/// path aside (renamed to such a name) first. `mode`,
/// `owner` and `group` are `-` when not set. Paths travel as raw bytes, so any name arrives
/// unchanged. A write's check is a shell script run with the staged file as `$1` before the
/// rename (`validate:`); when it fails, the staged file is removed and the op fails with what it
/// printed. `end` is `.` to go ahead or `!` when infra withdraws the op (its source changed
/// while it was being sent), so content is streamed as it is read and checked, and a file
/// replaced only once all of it arrived intact. The host answers each op with `ok` or
/// `fail <reason>`, NUL-terminated, and stops at the first failure.
///
/// The installer is a Perl program (no process per file), since perl is on nearly every server
/// (Essential on Debian and Ubuntu); where there is none, a POSIX shell loop speaks the same
/// protocol, a few processes per file slower. Perl stages writes in groups (up to 1,024 files or
/// 32 MiB, and never past a second, a large file, another kind of op or a check) and makes each
/// group durable with one `sync -f` of its file systems before renaming its files into place
/// and confirming them: a sync per file cost more than the writes, and 40 syncs of about 10 ms
/// (groups of 256) were still a fifth of the 2 s that 10,000 files took. The shell loop syncs
/// each file.
enum FileInstaller {
  enum Writer: String, Sendable {
    /// Perl when the host has it, the shell otherwise.
    case auto
    /// Always the shell loop.
    case shell
  }

  /// The command that installs a stream: Perl when allowed and present, else the shell loop.
  static func command(_ writer: Writer) -> ShellCommand {
    let dispatch = """
      if [ "$2" != shell ] && command -v perl >/dev/null 2>&1; then exec perl -e "$1"; fi
      \(shellLoop)
      """
    return ShellCommand("sh", "-c", dispatch, "sh", perlProgram, writer.rawValue)
  }

  /// How each op of a stream ended: `nil` for ops the host did not reach (after a failure).
  static func outcomes(_ output: Data, count: Int) -> [Result<Void, InstallError>?] {
    var results: [Result<Void, InstallError>?] = Array(repeating: nil, count: count)
    // Only whole records: output cut short (a lost connection) may end inside one.
    let whole = output.lastIndex(of: 0).map { output[...$0] } ?? Data()
    let records = whole.split(separator: 0, omittingEmptySubsequences: true)
    for (index, record) in records.prefix(count).enumerated() {
      let text = String(decoding: record, as: UTF8.self)
      results[index] =
        text == "ok" ? .success(()) : .failure(InstallError(message: String(text.dropFirst(5))))
    }
    return results
  }

  struct InstallError: Error, Equatable {
    let message: String
  }

  // MARK: the programs (the Perl installer is in FileInstaller+Perl.swift)

  /// Shell functions: `strays FOLDER COMMAND...` runs the command on each temporary file that
  /// infra's writers left in the folder when they were killed (`.infra-tmp-PID-...` whose PID
  /// is gone; a zombie, killed but not yet reaped, is gone too). Nothing else, and never a live
  /// writer's. Shared by the shell installer (which removes them) and the read script (which
  /// reports them for the plan). Their variables (`sd`, `sf`, `spid`, `gs`) are named apart
  /// from those scripts' own: the read script's `s` is stat's exit status, which `gone` once
  /// overwrote.
  static let strayFunctions = #"""
    strays() {
      sd=${1%/}; shift
      for sf in "$sd"/.infra-tmp-*; do
        [ -f "$sf" ] && [ ! -L "$sf" ] || continue
        spid=${sf##*/.infra-tmp-}; spid=${spid%%-*}
        case $spid in ''|*[!0-9]*) continue ;; esac
        if gone "$spid"; then "$@" "$sf"; fi
      done
    }
    gone() {
      [ "$1" != $$ ] || return 1
      if [ -e "/proc/$1" ]; then
        gs=$(cat "/proc/$1/stat" 2>/dev/null) || gs=
        gs=${gs##*\)}; gs=${gs# }
        case $gs in Z*) return 0 ;; *) return 1 ;; esac
      fi
      ! kill -0 "$1" 2>/dev/null
    }
    """#
}
