#!/bin/bash
# 59-symlinks.t: the server never follows a symlink. In the files folder:
#   passwd.txt -> /etc/passwd          (a file outside, by absolute path)
#   outside.bin -> ../outside.bin      (a file outside, by relative path)
#   alias.bin -> 64k.bin               (a file inside the catalogue)
#   etc -> /etc                        (a folder)
#   dangling.bin -> nowhere
# None is listed by LIST, GET of each gets ERR 404 and ftclient -f exits
# 1 with that error and no file. What is observed (and required): a
# symlink is not served even when it points inside the catalogue; only
# regular files are. A regular file swapped for a symlink after the scan
# (no rescan) is refused too (openat with O_NOFOLLOW), never sent.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ops-lib.sh"

head -c 4321 /dev/urandom >"$T/outside.bin"
ln -s /etc/passwd "$CAT/passwd.txt"
ln -s ../outside.bin "$CAT/outside.bin"
ln -s 64k.bin "$CAT/alias.bin"
ln -s /etc "$CAT/etc"
ln -s nowhere "$CAT/dangling.bin"
head -c 5000 /dev/urandom >"$CAT/swap.bin"

list() {
	local line out=
	raw_open || return 1
	raw_send LIST
	while raw_read line 5; do
		out+="$line"$'\n'
		[[ $line == END* ]] && break
	done
	raw_close
	printf '%s' "$out"
}

get() {
	local answer
	raw_open || return 1
	raw_send "GET $1"
	raw_read answer 5
	raw_close
	echo "$answer"
}

start_server -p 2
listing=$(list)
is "$(echo "$listing" | sed -n 's/^FILE \([^ ]*\) .*/\1/p' | tr '\n' ' ')" \
    "3m.bin 64k.bin empty.bin odd.bin one.bin swap.bin " "LIST: only the regular files"
is "$(echo "$listing" | tail -1)" "END 6" "LIST: END 6"
for name in passwd.txt outside.bin alias.bin etc dangling.bin; do
	like "$(get "$name")" "^ERR 404 no such file in the catalogue: ${name//./\\.}\$" "GET $name (a symlink): ERR 404"
done
client alias -c 1 -y -f alias.bin -o "$T/alias-out" -L "$T/alias-logs"
is "$CLIENT_RC" 1 "ftclient -f alias.bin (symlink to a catalogue file): exit 1"
file_like "$T/alias.out" 'no such file in the catalogue: alias\.bin' "...with the server's 404"
is "$(ls -A "$T/alias-out" 2>/dev/null)" "" "...and no file"
client passwd -c 1 -y -f passwd.txt -o "$T/passwd-out" -L "$T/passwd-logs"
is "$CLIENT_RC" 1 "ftclient -f passwd.txt (symlink to /etc/passwd): exit 1"
is "$(ls -A "$T/passwd-out" 2>/dev/null)" "" "...and no file"

# A rescan changes nothing.
kill -HUP "$SERVER_PID"
ok "HUP: rescanned, still 6 files" wait_for 10 grep -q 'catalogue rescanned, 6 files' "$SERVER_ERR"

# Listed as a regular file, then swapped for a symlink to /etc/passwd.
rm "$CAT/swap.bin"
ln -s /etc/passwd "$CAT/swap.bin"
answer=$(get swap.bin)
like "$answer" '^ERR 404 cannot open swap\.bin: Too many levels of symbolic links$' \
    "swapped for a symlink after the scan: GET swap.bin gets ERR 404, not followed ($answer)"
client swap -c 1 -y -f swap.bin -o "$T/swap-out" -L "$T/swap-logs"
is "$CLIENT_RC" 1 "ftclient -f swap.bin: exit 1"
is "$(ls -A "$T/swap-out" 2>/dev/null)" "" "...and no file"
# Refused before joining a test: no log mentions it, no byte was sent.
ok "no server log mentions swap.bin" eval '! grep -rqs "swap\.bin" "$SLOGS"'
transfer_ok still-serving 2 64k.bin
stop_server
done_testing
