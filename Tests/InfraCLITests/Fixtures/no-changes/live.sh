mkdir -p etc
printf 'same\n' > etc/motd
