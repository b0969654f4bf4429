#!/bin/bash
# 34-server-options.t: option and configuration checks (issue 8).
# - -n 5 -p 4: a test of 5 can never start on 4 workers: refused at
#   start, exit status 2, the message names both numbers.
# - -L a/b/c whose parents do not exist: created (as mkdir -p), the
#   server starts and a test's log appears there.
# - A catalogue of 300 files: the first 256 by name are served, and
#   stderr says so; LIST has 256 entries; a file among the first 256 by
#   name is served (whatever the folder's order on disk).
# - The files folder removed and recreated at the same path: after
#   SIGHUP, a file only in the new folder is served.
# - ftclient -c 5 against -p 4: exit 1 at once (within 3 s), saying the
#   server has 4 workers.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/share-lib.sh"

# ---------------------------------------------------------------- -n > -p

t0=$(now_ms)
timeout 5 "$SERVER_BIN" -n 5 -p 4 -P 0 -b "$HOST" -d "$CAT" -L "$T/np-logs" >"$T/np.out" 2>"$T/np.err"
rc=$?
took=$(($(now_ms) - t0))
is "$rc" 2 "-n 5 -p 4: exit status 2 at start (after $took ms; 124 is timeout(1) ending a server that ran)"
msg=$(grep -v '^$' "$T/np.err" | head -3 | tr '\n' ' ')
like "$msg" '(^|[^0-9])5([^0-9]|$).*(^|[^0-9])4([^0-9]|$)|(^|[^0-9])4([^0-9]|$).*(^|[^0-9])5([^0-9]|$)' \
    "-n 5 -p 4: the message names both numbers ($msg)"
ok "-n 5 -p 4: it never said it listens" eval '! grep -q "listening on" "$T/np.out"'

# ---------------------------------------------------------------- -L a/b/c

deep=$T/no/such/parents/logs
if try_server 5 -p 2 -L "$deep"; then
	pass "-L with missing parents: the server starts"
	SLOGS=$deep
	transfer_ok deep-logs 2 odd.bin
	ok "-L with missing parents: the test's log is there" wait_server_logs 1
	is "$(log_pairs "$deep" server | grep -vc unpaired)" 1 "-L with missing parents: one log pair in $deep"
	stop_server
else
	fail "-L with missing parents: the server starts (exit ${SERVER_RC:-?}: $(head -1 "$SERVER_ERR"))"
	[ -n "$SERVER_PID" ] && kill_server
fi

# ---------------------------------------------------------------- 300 files

MANY=$T/many
mkdir -p "$MANY"
for ((i = 1; i <= 300; i++)); do
	printf 'file %d of 300\n' "$i" >"$MANY/$(printf 'm%03d.txt' "$i")"
done
# A file among the first 256 by name, but as late as possible in the
# folder's own order (what readdir gives): a scan that stops at 256
# entries in that order misses it.
want=$(ls "$MANY" | head -256)
pick=$(ls -U "$MANY" | grep -Fxf <(echo "$want") | tail -1)
diag "picked $pick: number $(ls "$MANY" | grep -nx "$pick" | cut -d: -f1) by name, $(ls -U "$MANY" | grep -nx "$pick" | cut -d: -f1) in the folder's order"
start_server -p 2 -d "$MANY"
file_like "$SERVER_ERR" '300 files, only the first 256 by name are served' \
    "300 files: stderr says only the first 256 by name are served"
raw_open
raw_send LIST
names=
while raw_read line 5; do
	[[ $line == END* ]] && break
	names+="${line#FILE }"$'\n'
done
raw_close
is "$line" "END 256" "300 files: LIST ends with END 256"
is "$(printf '%s' "$names" | awk '{ print $1 }')" "$want" "300 files: LIST has the first 256 by name, in order"
CAT_SAVED=$CAT
CAT=$MANY
transfer_ok many 1 "$pick"
CAT=$CAT_SAVED
# The message again on a rescan.
kill -HUP "$SERVER_PID"
ok "300 files: SIGHUP rescans" wait_for 10 grep -q 'SIGHUP: catalogue rescanned' "$SERVER_ERR"
is "$(grep -c '300 files, only the first 256 by name are served' "$SERVER_ERR")" 2 \
    "300 files: ...and stderr says it again"
stop_server

# ---------------------------------------------------------------- folder recreated

NEWCAT=$T/recreated
mkdir -p "$NEWCAT"
cp "$CAT/odd.bin" "$NEWCAT/"
start_server -p 2 -d "$NEWCAT"
CAT_SAVED=$CAT
CAT=$NEWCAT
transfer_ok before-recreate 1 odd.bin
rm -rf "$NEWCAT"
mkdir -p "$NEWCAT"
head -c 200000 /dev/urandom >"$NEWCAT/fresh.bin"
kill -HUP "$SERVER_PID"
ok "recreated folder: SIGHUP rescans" wait_for 10 grep -q 'SIGHUP: catalogue rescanned' "$SERVER_ERR"
grep 'SIGHUP' "$SERVER_ERR" | tail -1 | sed 's/^/    /' >&2
transfer_ok recreated 2 fresh.bin
CAT=$CAT_SAVED
stop_server

# ---------------------------------------------------------------- -c > -p

start_server -p 4
t0=$(now_ms)
client too-many -c 5 -y -f odd.bin -o "$T/too-many-out" -L "$T/too-many-logs" -t 10
took=$(($(now_ms) - t0))
is "$CLIENT_RC" 1 "ftclient -c 5 against 4 workers: exit 1"
ok "...within 3 s ($took ms)" test "$took" -le 3000
file_like "$T/too-many.out" 'the server has 4 workers' "...saying the server has 4 workers"
grep -h 'fail' "$T/too-many.out" | sort | uniq -c | head -3 | sed 's/^/    /' >&2
transfer_ok after-too-many 4 odd.bin
stop_server
done_testing
