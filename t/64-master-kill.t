#!/bin/bash
# 64-master-kill.t: kill -9 of the master (issue 8). Its workers, idle,
# in a handshake, or sending a transfer a client stopped reading, all exit
# within 2 s, and the TCP port can be bound again at once: a new server
# started on the same port says it listens and serves a test.
# Whatever happens, every worker of the killed master is killed by pid at
# the end.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ops-lib.sh"
. "$(dirname "$0")/share-lib.sh"

ORPHANS=
kill_orphans() {
	local p
	for p in $ORPHANS; do alive "$p" && kill -KILL "$p" 2>/dev/null; done
}
trap '_rc=$?; kill_orphans; rm -f "$CAT/big.bin"; (exit $_rc); cleanup' EXIT

BIG=$((200 << 20))
ok "a 200 MiB file" big_file "$CAT/big.bin" "$BIG"

start_server -p 4
OLD_PORT=$PORT
ORPHANS=$(workers)
is "$(echo $ORPHANS | wc -w)" 4 "4 workers ($ORPHANS)"
raw_open
ok "one worker is sending a transfer its client stopped reading" raw_stall big.bin 65536
ok "...titled sending" wait_titled 5 "^$PROG: worker [0-9]+ sending big\\.bin to "
peer_open idle
ok "one worker is in a handshake with a connection that says nothing" \
    wait_for 5 eval '[ "$(count_titled " (handshake with|admitting) 127\.0\.0\.1:")" = 1 ]'
titles | sed 's/^/    /' >&2

kill -KILL "$SERVER_PID"
t0=$(now_ms)
wait "$SERVER_PID" 2>/dev/null
SERVER_PID=
left=$ORPHANS
while [ -n "$left" ] && [ $(($(now_ms) - t0)) -le 2000 ]; do
	still=
	for p in $left; do alive "$p" && still+=" $p"; done
	left=${still# }
	[ -n "$left" ] && sleep 0.05
done
took=$(($(now_ms) - t0))
if [ -n "$left" ]; then
	diag "after kill -9 of the master: workers $left still alive after $took ms"
else
	diag "after kill -9 of the master: every worker gone after $took ms"
fi
for p in $left; do diag "    $p: $(title "$p")"; done
is "$left" "" "every worker exits within 2 s of the master's kill -9"

# The same port, at once (no wait for anything to time out).
raw_close
peer_close_all
SERVER_N=$((SERVER_N + 1))
SERVER_OUT=$T/server$SERVER_N.out
SERVER_ERR=$T/server$SERVER_N.err
SLOGS=$T/server$SERVER_N-logs
"$SERVER_BIN" -p 2 -P "$OLD_PORT" -b "$HOST" -d "$CAT" -L "$SLOGS" >"$SERVER_OUT" 2>"$SERVER_ERR" &
SERVER_PID=$!
wait_for 3 grep -qs "listening on .*:$OLD_PORT " "$SERVER_OUT"
listening=$?
if [ "$listening" != 0 ]; then
	diag "the new server on port $OLD_PORT did not say it listens; its stderr:"
	sed 's/^/    /' "$SERVER_ERR" >&2
	alive "$SERVER_PID" || { wait "$SERVER_PID" 2>/dev/null; SERVER_PID=; }
fi
is "$listening" 0 "a new server binds the same port ($OLD_PORT) at once and says it listens"
if [ "$listening" = 0 ]; then
	PORT=$OLD_PORT
	transfer_ok new-server 2 odd.bin
	stop_server
fi
kill_orphans
rm -f "$CAT/big.bin"
done_testing
