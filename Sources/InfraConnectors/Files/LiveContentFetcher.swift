import Foundation
import InfraTransport

/// Fetches the current content of many files on a host in one command, for the diffs of a plan.
///
/// Paths go on standard input, NUL-separated (so neither their number nor their characters
/// matter); the host answers, in order, `C <size>\n<bytes>` for each file it could read and
/// `E 0\n` for each it could not. Perl reads them in one process where the host has it; a
/// shell loop under `xargs -0` does otherwise.
enum LiveContentFetcher {
  static func fetch(
    _ paths: [String], through transport: any Transport, writer: FileInstaller.Writer
  )
    async throws -> [String: Data]
  {
    guard !paths.isEmpty else { return [:] }
    var input = Data()
    for path in paths {
      input.append(Data(path.utf8))
      input.append(0)
    }
    let command = ShellCommand(
      "sh", "-c",
      """
      if [ "$3" != shell ] && command -v perl >/dev/null 2>&1; then exec perl -e "$1"; fi
      xargs -0 -r sh -c "$2" sh
      """, "sh", perlProgram, shellLoop, writer.rawValue)
    let result = try await transport.run(command, input: input, timeout: nil)
    return parse(result.stdout, paths: paths)
  }

  static func parse(_ output: Data, paths: [String]) -> [String: Data] {
    var contents: [String: Data] = [:]
    var cursor = output.startIndex
    for path in paths {
      guard let newline = output[cursor...].firstIndex(of: 0x0A) else { break }
      let header = String(decoding: output[cursor..<newline], as: UTF8.self).split(separator: " ")
      cursor = output.index(after: newline)
      guard header.count == 2, let size = Int(header[1]) else { break }
      if header[0] == "C" {
        guard output.distance(from: cursor, to: output.endIndex) >= size else { break }
        let end = output.index(cursor, offsetBy: size)
        contents[path] = Data(output[cursor..<end])
        cursor = end
      }
    }
    return contents
  }

  static let perlProgram = #"""
    binmode STDIN; binmode STDOUT; local $/ = "\0";
    while (my $path = <STDIN>) {
      chomp $path;
      if (-f $path && open(my $fh, '<', $path)) {
        binmode $fh; local $/; my $data = <$fh>; $data = '' unless defined $data;
        print "C " . length($data) . "\n", $data;
      } else { print "E 0\n" }
    }
    """#

  static let shellLoop = #"""
    for p in "$@"; do
      if [ -f "$p" ] && [ -r "$p" ] && t=$(mktemp) && cat -- "$p" > "$t" 2>/dev/null; then
        printf 'C %s\n' "$(wc -c < "$t")"; cat "$t"
      else
        printf 'E 0\n'
      fi
      rm -f "$t"
    done
    """#
}
