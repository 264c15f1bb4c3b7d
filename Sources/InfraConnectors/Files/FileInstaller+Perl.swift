extension FileInstaller {
  /// The installer in Perl: one process for the whole stream (see `FileInstaller`).
  static let perlProgram = #"""
    use strict; use warnings; use Fcntl; use IO::Handle; use POSIX ();
    # The folders renamed into: the renames are durable once each is synced, once, at the end.
    my %renamed;
    sub sync_folders {
      for my $d (keys %renamed) { if (sysopen(my $dh, $d, O_RDONLY)) { $dh->sync; close($dh) } }
    }
    binmode STDIN; binmode STDOUT; $| = 1; umask 022;
    # Read once: `$$` asks the kernel each time.
    my $me = $$;
    sub fail { my ($path, $what) = @_; die "$path: $what: $!\n" }
    # The folders known to be there, each with its file system (the device `stat` gives).
    my %folder_device;
    sub make_folder {
      my $d = shift; return if exists $folder_device{$d};
      if (-d $d) { $folder_device{$d} = (stat(_))[0]; return }
      die "$d: it is a file where a folder should be\n" if -e $d || -l $d;
      my ($parent) = $d =~ m{^(.*)/[^/]*\z}s; make_folder($parent eq '' ? '/' : $parent);
      mkdir($d, 0755) or -d $d or fail($d, "cannot create the folder");
      $folder_device{$d} = (stat($d))[0];
    }
    # Removes the temporary files that infra's writers left in $d when they were killed:
    # `.infra-tmp-PID-...` whose PID is gone. Nothing else, and never a live writer's.
    my %cleaned;
    # Whether process $pid is gone: a zombie (killed, not yet reaped) is gone too; a process of
    # another user's (EPERM) is not.
    sub writer_gone {
      my $pid = shift; return 0 if $pid == $me;
      if (open(my $st, '<', "/proc/$pid/stat")) {
        my $s = <$st>; close $st; return defined $s && $s =~ /\)\s+Z/ ? 1 : 0;
      }
      return !(kill(0, $pid) || $!{EPERM});
    }
    sub clean_folder {
      my $d = shift; return if $cleaned{$d}++;
      opendir(my $dh, $d) or return;
      for my $name (readdir $dh) {
        next unless $name =~ /^\.infra-tmp-(\d+)-/;
        next unless writer_gone($1);
        my $f = ($d eq '/' ? '' : $d) . "/$name"; unlink $f if -f $f && !-l $f;
      }
      closedir $dh;
    }
    sub id_of {
      my ($name, $user) = @_; return -1 if $name eq '-'; return $name if $name =~ /^\d+$/;
      my $id = $user ? getpwnam($name) : getgrnam($name);
      die "there is no " . ($user ? "user" : "group") . " '$name'\n" unless defined $id; $id;
    }
    sub attributes {
      my ($path, $mode, $owner, $group) = @_;
      my ($uid, $gid) = (id_of($owner, 1), id_of($group, 0));
      if ($uid != -1 || $gid != -1) { chown($uid, $gid, $path) or fail($path, "cannot set its owner to $owner:$group") }
      if ($mode ne '-') { chmod(oct($mode), $path) or fail($path, "cannot set its mode") }
    }
    sub take {
      my $n = shift; my $data = '';
      while ($n > 0) {
        my $got = read(STDIN, my $chunk, $n > 1048576 ? 1048576 : $n);
        die "the stream ended early\n" unless $got; $data .= $chunk; $n -= $got;
      }
      $data;
    }
    # The byte after an op: `.` goes ahead, `!` is infra withdrawing it.
    sub go_ahead { die "infra withdrew it\n" unless take(1) eq '.' }
    # Runs a write's check on the staged file; dies with what it printed when it fails.
    sub check_staged {
      my ($path, $tmp, $check) = @_;
      open(my $ph, '-|', '/bin/sh', '-c', $check, 'sh', $tmp) or fail($path, "cannot run its check");
      my $out = do { local $/; <$ph> } // ''; close($ph);
      return if $? == 0;
      my $code = $? & 127 ? "signal " . ($? & 127) : "exit " . ($? >> 8);
      $out =~ tr/\0//d; $out =~ s/\s+\z//; $out = substr($out, -4000) if length($out) > 4000;
      die "$path: its check failed ($code), so it was not replaced" . ($out eq '' ? '' : ":\n$out") . "\n";
    }
    # A name beside $path for what it holds now: `<path>.<UTC time>~`, numbered if taken.
    sub aside_name {
      my $path = shift;
      my @t = gmtime(); my $stamp = sprintf('%04d%02d%02dT%02d%02d%02dZ', $t[5] + 1900, $t[4] + 1, @t[3, 2, 1, 0]);
      my ($name, $n) = ("$path.$stamp~", 1);
      $name = "$path.$stamp." . $n++ . "~" while -e $name || -l $name;
      $name;
    }
    # The file at $path, kept under a name of its own: the same inode, so its content, mode and
    # owner are the old ones whatever replaces $path.
    sub keep_backup {
      my $path = shift; return unless -f $path && !-l $path;
      my $backup = aside_name($path);
      link($path, $backup) or fail($path, "cannot keep a backup of it as $backup");
    }
    # What is at $path (a link, a folder, a file of the wrong kind), moved aside whole.
    sub move_aside {
      my $path = shift; return unless -e $path || -l $path;
      %folder_device = ();
      my $to = aside_name($path);
      rename($path, $to) or fail($path, "cannot move it aside as $to");
    }
    # A symbolic link to the op's content, made beside the path and renamed over it.
    sub make_link {
      my ($path, $size, $flags) = @_;
      my $target = take($size); go_ahead();
      my ($dir) = $path =~ m{^(.*)/[^/]+\z}s; $dir = '/' if !defined $dir || $dir eq '';
      make_folder($dir); clean_folder($dir);
      my $tmp;
      for (1 .. 100) {
        $tmp = ($dir eq '/' ? '' : $dir) . sprintf('/.infra-tmp-%d-%06d', $me, int(rand(1000000)));
        last if symlink($target, $tmp);
        fail($dir, "cannot create a link in it") unless $!{EEXIST};
      }
      my $ok = eval {
        move_aside($path) if $flags =~ /M/;
        rename($tmp, $path) or fail($path, "cannot replace it with a link");
        $renamed{$dir} = 1; 1;
      };
      if (!$ok) { my $error = $@; unlink $tmp; die $error }
    }
    # A folder with its mode and owner: made if missing (what is in the way moved aside when
    # the op says so), then given them.
    sub make_dir {
      my ($path, $mode, $owner, $group, $flags) = @_;
      go_ahead();
      my ($dir) = $path =~ m{^(.*)/[^/]+\z}s; $dir = '/' if !defined $dir || $dir eq '';
      make_folder($dir);
      move_aside($path) if $flags =~ /M/ && !(-d $path && !-l $path);
      unless (-d $path && !-l $path) {
        mkdir($path, 0700) or fail($path, "cannot create the folder"); $renamed{$dir} = 1;
      }
      attributes($path, $mode eq '-' ? '0755' : $mode, $owner, $group);
    }
    # Writes staged but not yet in place, in order. Each group is made durable by one sync of
    # the file systems it is on (a sync per file cost more than the writes), then renamed into
    # place and confirmed: a crash before the renames leaves every target as it was. A group's
    # sync runs in a process of its own while the next group is staged: a sync is mostly a wait
    # for the disk, and was half of the time 10,000 files took when the staging waited for it.
    my @pending; my ($pending_bytes, $pending_since) = (0, 0);
    # The group being synced, and the `sync` at work on it (undefined once it ended).
    my (@syncing, $sync_pid, $sync_ok);
    sub start_sync {
      @syncing = @pending; @pending = (); $pending_bytes = 0;
      # A staged file is on its folder's file system.
      my %device;
      for my $w (@syncing) { $device{$folder_device{$w->{dir}} // (stat($w->{tmp}))[0] // ''} //= $w->{tmp} }
      # `sync -f` syncs the file system of each file it names (GNU and BusyBox); where it
      # cannot, or cannot be started, each staged file is synced by itself.
      $sync_ok = 0; $sync_pid = fork();
      if (defined $sync_pid && $sync_pid == 0) {
        open(STDERR, '>', '/dev/null'); exec('sync', '-f', values %device) or POSIX::_exit(127);
      }
    }
    # Whether the group's sync has ended, without waiting for it.
    sub sync_ended {
      return 1 unless defined $sync_pid;
      return 0 unless waitpid($sync_pid, POSIX::WNOHANG()) == $sync_pid;
      $sync_ok = $? == 0; undef $sync_pid; 1;
    }
    # Waits for the group's sync, then renames its files into place and confirms them.
    sub finish_sync {
      return unless @syncing;
      if (defined $sync_pid) { $sync_ok = waitpid($sync_pid, 0) == $sync_pid && $? == 0; undef $sync_pid }
      my $ok = eval {
        unless ($sync_ok) {
          for my $w (@syncing) {
            my $fh;
            sysopen($fh, $w->{tmp}, O_RDONLY) && $fh->sync or fail($w->{path}, "cannot sync it to disk");
            close($fh);
          }
        }
        1;
      };
      if (!$ok) { my $error = $@; unlink $_->{tmp} for @syncing, @pending; @syncing = @pending = (); die $error }
      # Confirmed together once renamed: one write for the group, not one per file.
      my $confirmed = '';
      while (my $w = shift @syncing) {
        $ok = eval {
          move_aside($w->{path}) if $w->{flags} =~ /M/;
          keep_backup($w->{path}) if $w->{flags} =~ /B/;
          rename($w->{tmp}, $w->{path}) or fail($w->{path}, "cannot replace it");
          $renamed{$w->{dir}} = 1; 1;
        };
        if (!$ok) {
          my $error = $@; unlink $_->{tmp} for ($w, @syncing, @pending); @syncing = @pending = ();
          print $confirmed; die $error;
        }
        $confirmed .= "ok\0";
      }
      print $confirmed;
    }
    # Every staged write in place and confirmed.
    sub commit_pending {
      finish_sync(); return unless @pending;
      start_sync(); finish_sync();
    }
    sub write_file {
      my ($path, $size, $mode, $owner, $group, $check, $flags) = @_;
      # What waited a second, or waits for a large file to arrive, is put in place first: a
      # slow stream or a cut connection still leaves the files before it confirmed.
      commit_pending() if $size >= 1 << 20 || (@pending && time() - $pending_since >= 1);
      my ($dir) = $path =~ m{^(.*)/[^/]+\z}s; $dir = '/' if !defined $dir || $dir eq '';
      make_folder($dir); clean_folder($dir);
      # A file of the running user whose mode the umask (022) leaves whole and that has no
      # setuid, setgid or sticky bit is made with its mode: no chmod after. Any other is made
      # 0600 and given its owner and mode once written.
      my $plain = $owner eq '-' && $group eq '-' && ($mode eq '-' || (oct($mode) & 07022) == 0);
      # A descriptor, not a Perl file handle: no terminal check, seek or stat for each file.
      my ($tmp, $fd);
      for (1 .. 100) {
        $tmp = ($dir eq '/' ? '' : $dir) . sprintf('/.infra-tmp-%d-%06d', $me, int(rand(1000000)));
        $fd = POSIX::open($tmp, O_WRONLY | O_CREAT | O_EXCL, !$plain ? 0600 : $mode eq '-' ? 0644 : oct($mode));
        last if defined $fd;
        fail($dir, "cannot create a temporary file in it") unless $!{EEXIST};
      }
      my $ok = eval {
        my $left = $size;
        while ($left > 0) {
          my $got = read(STDIN, my $chunk, $left > 1048576 ? 1048576 : $left);
          die "the stream ended early\n" unless $got;
          for (my $off = 0; $off < $got;) {
            my $put = POSIX::write($fd, $off ? substr($chunk, $off) : $chunk, $got - $off);
            fail($path, "cannot write it") unless defined $put && $put > 0; $off += $put;
          }
          $left -= $got;
        }
        go_ahead();
        # Every byte written before the mode is set: a write by a user without CAP_FSETID
        # clears setuid and setgid.
        attributes($tmp, $mode eq '-' ? '0644' : $mode, $owner, $group) unless $plain;
        my $closed = POSIX::close($fd); $fd = undef;
        fail($path, "cannot write it") unless defined $closed;
        # A check sees the files written before it in place (an nginx.conf checked with the
        # sites written just before it).
        if ($check ne '') { commit_pending(); check_staged($path, $tmp, $check) }
        1;
      };
      if (!$ok) { my $error = $@; POSIX::close($fd) if defined $fd; unlink $tmp; die $error }
      $pending_since = time() unless @pending;
      push @pending, { path => $path, tmp => $tmp, dir => $dir, flags => $flags };
      $pending_bytes += $size;
      finish_sync() if @syncing && sync_ended();
      if (@pending >= 1024 || $pending_bytes >= 32 << 20) { finish_sync(); start_sync() }
    }
    while (defined(my $header = <STDIN>)) {
      chomp $header;
      my ($kind, $size, $mode, $owner, $group, $length, $checks) = split / /, $header;
      my ($op, $flags) = $kind =~ /^(.)(.*)\z/s;
      my $ok = eval {
        my $path = take($length);
        my $check = $checks ? take($checks) : '';
        # Anything but a write acts at once, so the writes before it are put in place first.
        commit_pending() unless $op eq 'W';
        if ($op eq 'W') { write_file($path, $size, $mode, $owner, $group, $check, $flags) }
        elsif ($op eq 'L') { make_link($path, $size, $flags) }
        elsif ($op eq 'D') { make_dir($path, $mode, $owner, $group, $flags) }
        elsif ($kind eq 'A') { go_ahead(); attributes($path, $mode, $owner, $group) }
        elsif ($kind eq 'R') {
          go_ahead(); %folder_device = ();
          die "$path: it is a folder, not a file\n" if -d $path && !-l $path;
          unlink($path) or $!{ENOENT} or fail($path, "cannot remove it");
        }
        else { die "unknown op '$kind'\n" }
        1;
      };
      if ($ok) {
        print "ok\0" unless $op eq 'W';
      } else {
        # The writes staged before the failure are still done, and confirmed before it.
        my $error = $@; chomp $error;
        if (!eval { commit_pending(); 1 }) { $error = $@; chomp $error }
        sync_folders(); print "fail $error\0"; exit 0;
      }
    }
    commit_pending();
    sync_folders();
    """#
}
