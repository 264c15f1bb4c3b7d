import Foundation
import InfraCore
import InfraTransport

/// Reads type, mode, owner, size and SHA-256 of many paths in one command on the host.
///
/// The paths travel inside the script (quoted, on standard input), so neither their number nor
/// their characters matter. `stat` runs once per batch through `xargs -0`, its records kept in
/// a temporary file on the host; `sha256sum` then reads the regular files among them (on every
/// core), and `readlink` the links, so no shell loop runs per path. Every record is
/// NUL-terminated: a name with a newline cannot break the parsing. Owners and groups come as numbers, with one
/// `getent` for the names of the few distinct ones.
enum LiveFileReader {
  static func script(
    for paths: [String], users: Set<String> = [], groups: Set<String> = []
  ) -> ShellScript {
    var script = ShellScript()
    script.append(raw: "LC_ALL=C; export LC_ALL")
    script.append(ShellCommand.raw("set --").appending(words: paths))
    script.append(
      raw:
        #"t=$(mktemp "${TMPDIR:-/tmp}/infra-read-XXXXXX") || { printf 'R\t126\t0\0'; exit 0; }; trap 'rm -f "$t" "$t".h*' EXIT; tab='\#t'"#
    )
    script.append(
      raw:
        #"printf '%s\0' "$@" | xargs -0 -r stat --printf 'S\t%F\t%a\t%u\t%g\t%s\t%n\0' -- 2>/dev/null >"$t"; s=$?; cat "$t""#
    )
    // sha256sum of up to 500 files at once, straight to the output; of more, on every core of
    // the host, in about two batches a core of 500 files or more (10,000 small files in batches
    // of 500 started twenty processes), each appending to a file of its own (output
    // interleaved in one pipe could split a record). One that cannot run makes xargs say 124
    // or more. Every process here runs on every host of a plan: a host of 200 files starts
    // none it can do without (`nproc`, a shell for the batches, a `cat` of their files).
    script.append(
      raw:
        #"regular() { grep -z -a "^S${tab}regular" "$t" | cut -z -f7-; }; if [ $# -le 500 ]; then regular | xargs -0 -r sha256sum -z -- 2>/dev/null; h=$?; else p=$(nproc 2>/dev/null || echo 1); b=$(($# / (2 * p) + 1)); [ "$b" -ge 500 ] || b=500"#
    )
    script.append(
      raw:
        #"regular | xargs -0 -r -n "$b" -P "$p" sh -c 'sha256sum -z -- "$@" 2>/dev/null >>"$0.h$$"; c=$?; [ "$c" -lt 124 ] && exit "$c"; exit 255' "$t"; h=$?; cat "$t".h* 2>/dev/null; fi"#
    )
    // Each symbolic link's target, as it holds it: an `L` record, then the target alone (when
    // there are links: most hosts' files have none, and the pass is three processes).
    script.append(
      raw:
        #"if grep -q -z -a "^S${tab}symbolic link" "$t"; then grep -z -a "^S${tab}symbolic link" "$t" | cut -z -f7- | xargs -0 -r sh -c 'for p; do printf "L\t%s\0" "$p"; readlink -n -- "$p"; printf "\0"; done' sh; fi"#
    )
    // The names of the owners and groups: the distinct uid-gid pairs, then `getent`'s own
    // lines for the uids (`N u LINES`) and the gids (`N g LINES`). Each process here runs on
    // every host of a plan: the pairs are split by the shell, the lines by infra.
    script.append(
      raw:
        #"i=$(cut -z -f4,5 "$t" | sort -zu | tr '\0\t' '  '); k=u; u=; g=; for x in $i; do if [ $k = u ]; then u="$u $x"; k=g; else g="$g $x"; k=u; fi; done"#
    )
    for (letter, database) in [("u", "passwd"), ("g", "group")] {
      script.append(
        raw:
          #"if [ -n "$\#(letter)" ]; then printf 'N\t\#(letter)\t'; getent \#(database) $\#(letter) 2>/dev/null; printf '\0'; fi"#
      )
    }
    // infra's own temporary files that killed writers left beside the paths, for the plan.
    let folders = Set(paths.map(FilesPlanner.folder(of:)))
    script.append(raw: FileInstaller.strayFunctions)
    script.append(ShellCommand.raw("set --").appending(words: folders.sorted()))
    script.append(
      raw: #"for d in "$@"; do strays "$d" printf 'T\t%s\0'; done 2>/dev/null"#)
    // A folder the connecting user may not enter hides what is in it (stat says "no such
    // file" for a path below it): for each folder of the paths, the nearest one that exists,
    // when the user may not enter it. Once per folder, not per path.
    // Likewise a file where a folder of a path should be (`P`): nothing can be written there.
    script.append(
      raw:
        #"for d in "$@"; do e=$d; f=; while [ -n "$e" ] && [ ! -d "$e" ]; do if [ -z "$f" ] && { [ -e "$e" ] || [ -L "$e" ]; }; then f=$e; fi; e=${e%/*}; done; if [ -n "$f" ]; then printf 'P\t%s\t%s\0' "$f" "$d"; elif [ -n "$e" ] && [ ! -x "$e" ]; then printf 'B\t%s\t%s\0' "$e" "$d"; fi; done"#
    )
    // The owners and groups the files are to have that the host does not know (`U`, `G`),
    // where getent can tell.
    let names = [("U", "passwd", users), ("G", "group", groups)].filter { !$0.2.isEmpty }
    for (letter, database, wanted) in names {
      script.append(ShellCommand.raw("set --").appending(words: wanted.sorted()))
      script.append(
        raw:
          #"if command -v getent >/dev/null 2>&1; then for n in "$@"; do getent \#(database) "$n" >/dev/null 2>&1 || printf '\#(letter)\t%s\0' "$n"; done; fi"#
      )
    }
    script.append(raw: #"printf 'R\t%s\t%s\0' "$s" "$h""#)
    return script
  }

  /// What the read script found: the paths' state, and the temporary files killed writers
  /// left in their folders.
  struct Reading {
    var files: [String: LiveFile] = [:]
    var strays: [String] = []
    /// Folders of the paths that a folder the user may not enter hides, with that folder.
    var hidden: [String: String] = [:]
    /// Folders of the paths that cannot be made, with the file in the way.
    var blockedByFile: [String: String] = [:]
    /// Owners and groups asked about that the host does not have.
    var missingUsers: Set<String> = []
    var missingGroups: Set<String> = []
  }

  enum ReadError: Error, CustomStringConvertible {
    case toolMissing(String)
    case malformed(String)

    var description: String {
      switch self {
      case .toolMissing(let detail):
        "cannot read file state: \(detail) (the files connector needs GNU coreutils: stat, sha256sum, xargs)"
      case .malformed(let detail):
        "cannot read file state: unexpected output from the host (\(detail))"
      }
    }
  }

  /// Live state by path; a path missing from the result does not exist (or cannot be reached).
  static func read(
    _ paths: [String], users: Set<String> = [], groups: Set<String> = [],
    through transport: any Transport
  ) async throws -> Reading {
    guard !paths.isEmpty else { return Reading() }
    let result = try await transport.run(script(for: paths, users: users, groups: groups))
    var reading = try parse(result.stdout, stderr: result.stderrText)
    for path in paths where reading.files[path] == nil {
      if let blocking = reading.hidden[FilesPlanner.folder(of: path)] {
        reading.files[path] = LiveFile(
          kind: .blocked, mode: 0, uid: "", gid: "", owner: "", group: "", size: 0,
          blockedBy: blocking)
      }
    }
    return reading
  }

  static func parse(_ output: Data, stderr: String = "") throws -> Reading {
    var parser = OutputParser()
    try output.withUnsafeBytes { raw in
      // Not omitting empty records: a link's target record follows its `L` record.
      var start = 0
      while start <= raw.count {
        let end =
          raw.baseAddress.flatMap { memchr($0 + start, 0, raw.count - start) }
          .map { raw.baseAddress!.distance(to: UnsafeRawPointer($0)) } ?? raw.count
        try parser.add(Record(UnsafeRawBufferPointer(rebasing: raw[start..<end])), stderr: stderr)
        start = end + 1
      }
    }
    return try parser.finish(stderr: stderr)
  }
}
