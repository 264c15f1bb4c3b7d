extension FileInstaller {
  /// The same protocol in POSIX shell, for hosts without perl.
  static let shellLoop = #"""
    umask 022
    n=0
    fail() { printf 'fail %s\0' "$1"; exit 0; }
    # Sets owner and group (when given) and mode $2 (when not empty) on $1; on failure
    # returns 1 with the reason in $e.
    attributes() {
      o=${owner#-}; g=${group#-}
      if [ -n "$o$g" ]; then
        e=$(chown -- "$o${g:+:$g}" "$1" 2>&1) || { e="$p: cannot set its owner to $owner:$group: $e"; return 1; }
      fi
      if [ -n "$2" ]; then
        e=$(chmod -- "$2" "$1" 2>&1) || { e="$p: cannot set its mode: $e"; return 1; }
      fi
    }
    \#(strayFunctions)
    clean() { strays "$1" rm -f --; }
    # The byte after an op: `.` goes ahead, `!` is infra withdrawing it (the reason in $e).
    go_ahead() {
      c=$(head -c 1)
      case $c in
        .) return 0 ;;
        '') e="the stream ended early" ;;
        *) e="infra withdrew it" ;;
      esac
      return 1
    }
    while IFS=' ' read -r kind size mode owner group length checks; do
      p=$(head -c "$length"; printf x); p=${p%x}
      v=; if [ "${checks:-0}" -gt 0 ]; then v=$(head -c "$checks"; printf x); v=${v%x}; fi
      case $kind in
        W|B)
          d=${p%/*}; [ -n "$d" ] || d=/
          if [ ! -d "$d" ]; then
            for f in "$d" "${d%/*}"; do
              if [ -e "$f" ] && [ ! -d "$f" ]; then fail "$f: it is a file where a folder should be"; fi
            done
            e=$(mkdir -p -- "$d" 2>&1) || fail "$d: cannot create the folder: $e"
          fi
          # Once per folder as the writes go (they come folder by folder).
          [ "$d" = "${cleaned-}" ] || { clean "$d"; cleaned=$d; }
          n=$((n + 1)); t="${d%/}/.infra-tmp-$$-$n"
          if ! e=$( (umask 077; set -C; head -c "$size" > "$t") 2>&1); then
            rm -f -- "$t"; fail "$d: cannot create a temporary file in it: $e"
          fi
          [ "$(wc -c < "$t")" -eq "$size" ] || { rm -f -- "$t"; fail "the stream ended early"; }
          go_ahead || { rm -f -- "$t"; fail "$e"; }
          m=$mode; [ "$m" != - ] || m=0644
          attributes "$t" "$m" || { rm -f -- "$t"; fail "$e"; }
          # Synced before the rename, and the folder after it (`sync FILE` is GNU's; other
          # systems' sync everything).
          sync -- "$t" 2>/dev/null || sync
          if [ -n "$v" ]; then
            o=$(sh -c "$v" sh "$t"); c=$?
            if [ "$c" -ne 0 ]; then
              rm -f -- "$t"; o=$(printf '%s' "$o" | tail -c 4000)
              fail "$p: its check failed (exit $c), so it was not replaced${o:+:
    $o}"
            fi
          fi
          if [ "$kind" = B ] && [ -f "$p" ] && [ ! -L "$p" ]; then
            stamp=$(date -u +%Y%m%dT%H%M%SZ); b="$p.$stamp~"; i=1
            while [ -e "$b" ] || [ -L "$b" ]; do b="$p.$stamp.$i~"; i=$((i + 1)); done
            e=$(ln -- "$p" "$b" 2>&1) || { rm -f -- "$t"; fail "$p: cannot keep a backup of it as $b: $e"; }
          fi
          e=$(mv -f -- "$t" "$p" 2>&1) || { rm -f -- "$t"; fail "$p: cannot replace it: $e"; }
          sync -- "$d" 2>/dev/null || :
          ;;
        A)
          go_ahead || fail "$e"
          m=$mode; [ "$m" != - ] || m=
          attributes "$p" "$m" || fail "$e"
          ;;
        R)
          go_ahead || fail "$e"
          if [ -d "$p" ] && [ ! -L "$p" ]; then fail "$p: it is a folder, not a file"; fi
          e=$(rm -f -- "$p" 2>&1) || fail "$p: cannot remove it: $e"
          ;;
        *) fail "unknown op '$kind'" ;;
      esac
      printf 'ok\0'
    done
    """#
}
