# The target folder before the plan.
mkdir -p etc/app usr/share
printf 'Welcome!\nOld line\nSame line\n' > etc/motd
printf '[server]\nport = 8080\n' > etc/app/app.conf
chmod 644 etc/app/app.conf
printf 'legacy = true\n' > etc/app/legacy.conf
printf 'unchanged\n' > etc/hostname
