#!/bin/bash
# 53-sighup.t: SIGHUP rescans the catalogue.
# - A file added to the folder is refused (ERR 404) until the rescan, and
#   served after it; LIST shows it.
# - A file removed is refused cleanly (ERR 404), before the rescan (it
#   cannot be opened) and after it (it is no longer listed); ftclient
#   exits 1 and writes nothing.
# - The selected file removed: a client that names no file gets ERR 404.
# - A file replaced by new content under the same name is served with
#   its new SHA-256 (the hash cache does not serve the old one).
# - A file removed while it is being sent, with a rescan in the middle:
#   the transfer completes (the worker holds it open).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ops-lib.sh"

# list: the catalogue as LIST gives it, "NAME SIZE" per line, then END N.
list() {
	local line out=
	raw_open || return 1
	raw_send LIST
	while raw_read line 5; do
		out+="$line"$'\n'
		[[ $line == END* ]] && break
	done
	raw_send QUIT
	raw_close
	printf '%s' "$out"
}

# get NAME: the server's answer to GET NAME (alone, so one line).
get() {
	local answer
	raw_open || return 1
	raw_send "GET $1"
	raw_read answer 5
	raw_close
	echo "$answer"
}

hups=0
hup() {
	hups=$((hups + 1))
	kill -HUP "$SERVER_PID"
	wait_for 10 eval '[ "$(count_lines "SIGHUP: catalogue rescanned" "$SERVER_ERR")" -ge $hups ]'
}

# refused TAG NAME: ftclient -f NAME exits 1 with the server's 404, and
# leaves no file.
refused() {
	client "$1" -c 1 -y -f "$2" -o "$T/$1-out" -L "$T/$1-logs"
	is "$CLIENT_RC" 1 "$1: ftclient -f $2 exits 1"
	file_like "$T/$1.out" "no such file in the catalogue: $2" "$1: ...saying there is no such file"
	is "$(ls -A "$T/$1-out" 2>/dev/null)" "" "$1: ...and leaves no file (no .part)"
}

start_server -p 2
pids=$(workers)
is "$(list | tail -1)" "END 5" "LIST: the 5 files of the catalogue"

# ---------------------------------------------------------------- added

head -c 12345 /dev/urandom >"$CAT/new.bin"
like "$(get new.bin)" '^ERR 404 no such file in the catalogue: new\.bin$' \
    "added, before HUP: GET new.bin gets ERR 404"
refused added-before new.bin
ok "HUP: the master rescans" hup
file_like "$SERVER_ERR" 'SIGHUP: catalogue rescanned, 6 files' "HUP: stderr says 6 files"
like "$(list)" $'(^|\n)FILE new\\.bin 12345\n' "added, after HUP: LIST has new.bin 12345"
transfer_ok added-after 2 new.bin

# ---------------------------------------------------------------- removed

rm "$CAT/odd.bin"
like "$(get odd.bin)" '^ERR 404 cannot open odd\.bin: No such file or directory$' \
    "removed, before HUP: GET odd.bin gets ERR 404 (cannot open it)"
ok "HUP" hup
file_like "$SERVER_ERR" 'SIGHUP: catalogue rescanned, 5 files' "HUP: stderr says 5 files"
ok "removed, after HUP: LIST no longer has odd.bin" eval '! list | grep -q "^FILE odd\.bin "'
like "$(get odd.bin)" '^ERR 404 no such file in the catalogue: odd\.bin$' \
    "removed, after HUP: GET odd.bin gets ERR 404"
refused removed-after odd.bin
transfer_ok still-serving 2 64k.bin

# ---------------------------------------------------------------- selected

# The server selected the first file of the catalogue at start.
like "$(head -1 "$SERVER_OUT")" 'sending 3m\.bin\)$' "the server's selection is 3m.bin"
rm "$CAT/3m.bin"
ok "HUP" hup
client noname -c 1 -y -o "$T/noname-out" -L "$T/noname-logs"
is "$CLIENT_RC" 1 "selected file removed: ftclient without -f exits 1"
file_like "$T/noname.out" 'no such file in the catalogue: 3m\.bin' "...with the server's 404 naming it"

# ---------------------------------------------------------------- changed

head -c 65536 /dev/urandom >"$T/64k.new"
cp "$T/64k.new" "$CAT/64k.bin.tmp" && mv "$CAT/64k.bin.tmp" "$CAT/64k.bin"
ok "HUP" hup
offer=$(raw_open && raw_send "GET 64k.bin" && raw_read o 5 && echo "$o"; raw_close)
like "$offer" " sha256=$(sha_of "$T/64k.new")( |\$)" "changed: the offer has the new SHA-256"
transfer_ok changed 2 64k.bin
ok "changed: the files received are the new content" cmp -s "$T/64k.new" "$T/changed-out/Cliente1-Prueba-2.txt"

# ---------------------------------------------------------------- removed while sent

BIG=$((200 << 20))
big_file "$T/big.copy" "$BIG"
cp "$T/big.copy" "$CAT/big.bin"
ok "HUP" hup
client_bg gone -c 2 -y -f big.bin -o "$T/gone-out" -L "$T/gone-logs"
ok "removed while sent: the transfer starts" wait_titled 60 "^$PROG: worker [0-9]+ sending big\\.bin to "
pause_client gone
rm "$CAT/big.bin"
ok "removed while sent: HUP in the middle" hup
ok "removed while sent: the workers are still sending" test "$(count_titled ' sending big\.bin to ')" -ge 1
resume_client gone
client_wait gone
is "$CLIENT_RC" 0 "removed while sent: ftclient exits 0"
n=0
for f in "$T/gone-out"/Cliente*-Prueba-2.txt; do cmp -s "$f" "$T/big.copy" && n=$((n + 1)); done
is "$n" 2 "removed while sent: both copies are whole and right"
like "$(get big.bin)" '^ERR 404 no such file in the catalogue: big\.bin$' "removed while sent: then refused"

is "$(workers)" "$pids" "the workers are the ones started (HUP restarts nothing)"
stop_server
done_testing
