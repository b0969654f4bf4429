#!/bin/bash
# 21-bad-names.t: file names that must never reach the file system: an
# unknown name, names with '/' or '..', hidden files, a symlink and a
# folder inside the catalogue. The server answers ERR 404/403; ftclient
# refuses bad names itself (misuse, exit 2). After each, a normal
# transfer on the same server still works.
. "$(dirname "$0")/lib.sh"

# Things in the catalogue folder that must not be served.
echo secret >"$CAT/.hidden"
ln -s /etc/hostname "$CAT/link.bin"
mkdir "$CAT/sub.bin"
echo inner >"$CAT/sub.bin/inner.bin"
start_server -p 3

# An unknown name through the real client: exit 1, and it says which.
client unknown -c 2 -y -f nosuch.bin -o "$T/unknown-out" -L "$T/unknown-logs"
is "$CLIENT_RC" 1 "ftclient -f nosuch.bin exits 1"
file_like "$T/unknown.out" 'no such file in the catalogue: nosuch\.bin' \
    "...saying the file is not in the catalogue"
is "$(ls -A "$T/unknown-out" 2>/dev/null)" "" "...and leaves no file behind"
transfer_ok after-unknown 1 64k.bin

# Raw requests. name|expected reply (the reply is matched as a prefix).
while IFS='|' read -r name want; do
	raw_open
	raw_send "GET $name group=1"
	raw_read reply
	like "$reply" "^$want" "GET '$name': $want"
	raw_close
done <<'CASES'
../etc/passwd|ERR 403 
/etc/passwd|ERR 403 
a/b|ERR 403 
..|ERR 403 
x/../odd.bin|ERR 403 
..\odd.bin|ERR 403 
.hidden|ERR 403 
-rf|ERR 403 
link.bin|ERR 404 
sub.bin|ERR 404 
sub.bin/inner.bin|ERR 403 
CASES
listing=$(timeout 20 "$CLIENT_BIN" -H "$HOST" -P "$PORT" --list)
is "$(echo "$listing" | grep -cE 'hidden|link|sub')" 0 "the catalogue lists none of them"
transfer_ok after-raw-names 1 64k.bin

# ftclient refuses such names before connecting: misuse.
i=0
for name in ../x a/b .hidden; do
	i=$((i + 1))
	client "bad-$i" -c 1 -y -f "$name" -o "$T/bad-out" -L "$T/bad-logs"
	is "$CLIENT_RC" 2 "ftclient -f '$name' exits 2 (misuse)"
	file_like "$T/bad-$i.out" "not a catalogue name" "...saying it is not a catalogue name"
done
ok "no output folder was made for them" test ! -e "$T/bad-out"
transfer_ok after-client-names 1 64k.bin

stop_server
done_testing
