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
    # Sets $b to a name beside $1 for what it holds now: `<path>.<UTC time>~`, numbered if taken.
    aside_name() {
      stamp=$(date -u +%Y%m%dT%H%M%SZ); b="$1.$stamp~"; i=1
      while [ -e "$b" ] || [ -L "$b" ]; do b="$1.$stamp.$i~"; i=$((i + 1)); done
    }
    # Makes the folder of $p, as $d (failing the op when a file is in the way).
    make_folder() {
      d=${p%/*}; [ -n "$d" ] || d=/
      if [ ! -d "$d" ]; then
        for f in "$d" "${d%/*}"; do
          if [ -e "$f" ] && [ ! -d "$f" ]; then fail "$f: it is a file where a folder should be"; fi
        done
        e=$(mkdir -p -- "$d" 2>&1) || fail "$d: cannot create the folder: $e"
      fi
      # Once per folder as the writes go (they come folder by folder).
      [ "$d" = "${cleaned-}" ] || { clean "$d"; cleaned=$d; }
    }
    # Moves what is at $p aside when the op asks for it (flag M).
    move_aside() {
      case $flags in *M*) ;; *) return 0 ;; esac
      [ -e "$p" ] || [ -L "$p" ] || return 0
      aside_name "$p"
      e=$(mv -- "$p" "$b" 2>&1) || { e="$p: cannot move it aside as $b: $e"; return 1; }
    }
    while IFS=' ' read -r kind size mode owner group length checks; do
      op=${kind%"${kind#?}"}; flags=${kind#?}
      p=$(head -c "$length"; printf x); p=${p%x}
      v=; if [ "${checks:-0}" -gt 0 ]; then v=$(head -c "$checks"; printf x); v=${v%x}; fi
      case $op in
        W)
          make_folder
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
          move_aside || { rm -f -- "$t"; fail "$e"; }
          case $flags in *B*)
            if [ -f "$p" ] && [ ! -L "$p" ]; then
              aside_name "$p"
              e=$(ln -- "$p" "$b" 2>&1) || { rm -f -- "$t"; fail "$p: cannot keep a backup of it as $b: $e"; }
            fi ;;
          esac
          e=$(mv -f -- "$t" "$p" 2>&1) || { rm -f -- "$t"; fail "$p: cannot replace it: $e"; }
          sync -- "$d" 2>/dev/null || :
          ;;
        L)
          target=$(head -c "$size"; printf x); target=${target%x}
          go_ahead || fail "$e"
          make_folder
          n=$((n + 1)); t="${d%/}/.infra-tmp-$$-$n"
          e=$(ln -s -- "$target" "$t" 2>&1) || fail "$d: cannot create a link in it: $e"
          move_aside || { rm -f -- "$t"; fail "$e"; }
          e=$(mv -fT -- "$t" "$p" 2>&1) || { rm -f -- "$t"; fail "$p: cannot replace it with a link: $e"; }
          sync -- "$d" 2>/dev/null || :
          ;;
        D)
          go_ahead || fail "$e"
          make_folder
          if [ ! -d "$p" ] || [ -L "$p" ]; then
            move_aside || fail "$e"
            e=$(mkdir -m 0700 -- "$p" 2>&1) || fail "$p: cannot create the folder: $e"
          fi
          m=$mode; [ "$m" != - ] || m=0755
          attributes "$p" "$m" || fail "$e"
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
