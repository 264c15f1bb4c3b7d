import InfraTransport

/// The shell scripts of a host's lock. Each is one round trip; `stat` is GNU's or BSD's.
extension HostLock {
  /// Prints `acquired`, `held AGE HOLDER` (AGE: seconds since the lock was made or last
  /// renewed, by the host's clock) or `retry`; fails with what is wrong. The folder is made
  /// private to the connecting user, and a folder or lock another user owns is refused: that
  /// user could take or remove the locks.
  func acquireScript(_ holder: LockHolder) -> ShellCommand {
    let (folder, path) = (shellQuote(folder), shellQuote(path))
    return ShellCommand.raw(
      """
      owner() { stat -c %u "$1" 2>/dev/null || stat -f %u "$1"; }
      mtime() { stat -c %Y "$1" 2>/dev/null || stat -f %m "$1"; }
      [ -d \(folder) ] || (umask 077 && mkdir -p \(folder)) 2>/dev/null
      [ -d \(folder) ] || { echo "cannot create the lock folder \(self.folder)" >&2; exit 1; }
      me=$(id -u)
      case $(owner \(folder)) in
        "$me"|0) ;;
        *) echo "the lock folder \(self.folder) belongs to another user (uid $(owner \(folder))), who could take or remove its locks: remove it, or set locks: { folder: } in infra.yaml to a folder of the connecting user's" >&2; exit 1 ;;
      esac
      if ln -s \(shellQuote(holder.encoded)) \(path) 2>/dev/null; then echo acquired
      elif holder=$(readlink \(path)); then
        case $(owner \(path)) in
          "$me"|0) printf 'held %s %s\\n' "$(( $(date +%s) - $(mtime \(path)) ))" "$holder" ;;
          *) echo "\(self.path) was made by another user (uid $(owner \(path))): remove it" >&2; exit 1 ;;
        esac
      elif [ -e \(path) ]; then echo "\(self.path) exists and is not a lock infra made: remove it" >&2; exit 1
      elif [ -w \(folder) ]; then echo retry
      else echo "cannot create \(self.path): its folder is not writable" >&2; exit 1
      fi
      """)
  }

  /// Replaces the lock that holds `stale` with `holder`'s, under a takeover folder that makes
  /// takers of one stale lock exclude each other; prints `acquired` or `retry`. A takeover
  /// folder left by a taker that died is removed once it is older than the lease.
  func takeoverScript(_ holder: LockHolder, replacing stale: String, lease: Int) -> ShellCommand {
    let (path, taking) = (shellQuote(path), shellQuote(path + ".takeover"))
    return ShellCommand.raw(
      """
      if mkdir \(taking) 2>/dev/null; then
        [ "$(readlink \(path) 2>/dev/null)" = \(shellQuote(stale)) ] && rm -f \(path)
        if ln -s \(shellQuote(holder.encoded)) \(path) 2>/dev/null; then r=acquired; else r=retry; fi
        rmdir \(taking); echo $r
      else
        made=$(stat -c %Y \(taking) 2>/dev/null || stat -f %m \(taking) 2>/dev/null || date +%s)
        [ $(( $(date +%s) - made )) -gt \(lease) ] && rmdir \(taking) 2>/dev/null
        echo retry
      fi
      """)
  }
}
