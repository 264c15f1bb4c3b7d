# A file with Windows line ends on the host: its diff shows a line per line, the `\r` of each
# escaped.
printf 'Welcome\r\nOld line\r\nSame line\r\n' > notes.txt
chmod 644 notes.txt
