#!/bin/bash
# 51-sigterm.t: stopping with transfers in flight.
# - One TERM: the server stops taking connections, lets the transfers in
#   flight finish (the client exits 0, the files verify), writes the log,
#   exits 0, and no worker is left.
# - A second TERM stops at once, although a transfer is still running (a
#   raw client that stopped reading): the server exits promptly, the
#   transfer is logged as failed, no worker is left.
# - The grace is bounded: with --grace 2 and a transfer that never ends,
#   one TERM is enough.
# - INT is a TERM.
# "In flight" is made certain by stopping the client (SIGSTOP) while its
# workers are sending, or by a raw client that stops reading.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ops-lib.sh"

BIG=$((200 << 20))
ok "a 200 MiB file" big_file "$CAT/big.bin" "$BIG"

# server_exits SECONDS: waits (bounded) for the server to exit; sets
# SERVER_RC and forgets SERVER_PID (nothing for cleanup to stop).
server_exits() {
	wait_for "$1" gone "$SERVER_PID" || return 1
	wait "$SERVER_PID" 2>/dev/null
	SERVER_RC=$?
	SERVER_PID=
}

# none_alive PIDS...: prints those still alive.
none_alive() {
	local p left=
	for p in "$@"; do alive "$p" && left+=" $p"; done
	echo "${left# }"
}

# ---------------------------------------------------------------- one TERM

start_server -p 3 --grace 30
pids=$(workers)
client_bg term -c 2 -y -f big.bin -o "$T/term-out" -L "$T/term-logs"
ok "the transfers start (a worker is sending)" wait_titled 60 "^$PROG: worker [0-9]+ sending big\\.bin to "
pause_client term
sleep 0.2
is "$(count_titled "^$PROG: worker [0-9]+ sending big\\.bin to ")" 2 "both transfers are in flight (client stopped)"
kill -TERM "$SERVER_PID"
ok "TERM: the server says it lets the transfers finish" \
    wait_for 10 grep -q 'stopping: letting transfers in flight finish (at most 30 s' "$SERVER_ERR"
ok "TERM: the idle worker exits, the two busy ones stay" wait_for 10 eval '[ "$(nworkers)" = 2 ]'
sleep 0.5
ok "TERM: the server waits for them" alive "$SERVER_PID"
# A connection now must not be taken in and left unanswered until the
# server exits: refused, closed, or told ERR 503, within 2 s.
late=
if exec {LATE}<>"/dev/tcp/$HOST/$PORT" 2>/dev/null; then
	IFS= read -r -t 2 late <&"$LATE"
	case $? in
	0) late=${late%$'\r'} ;;
	1) late="(closed)" ;;
	*) late="(connected, nothing within 2 s)" ;;
	esac
	exec {LATE}>&-
else
	late="(refused)"
fi
like "$late" '^(\(refused\)|\(closed\)|ERR 503 .*)$' \
    "TERM: a new connection during the grace is refused or told ERR 503 at once ($late)"
ok "TERM: still running after that" alive "$SERVER_PID"
resume_client term
client_wait term
is "$CLIENT_RC" 0 "TERM: the transfers in flight finish: ftclient exits 0"
check_received "$T/term-out" 2 big.bin
rm -f "$T"/term-out/*	# 400 MiB a failed run need not keep
ok "TERM: the server exits once they are done" server_exits 20
is "$SERVER_RC" 0 "TERM: exit status 0"
is "$(none_alive $pids)" "" "TERM: none of the workers ($pids) is left"
is "$(count_lines 'test done:' "$SERVER_OUT")" 1 "TERM: the test was logged"
tsv=$(server_log 1)
tsv=${tsv%.txt}.tsv
is "$(tsv_col "$tsv" ok | tr '\n' ' ')" "yes yes " "TERM: its log has both transfers, ok"
is "$(tsv_col "$tsv" bytes | sort -u)" "$BIG" "TERM: each with every byte"
ok "TERM: no sanitizer report" no_sanitizer_reports "$SERVER_ERR"

# ---------------------------------------------------------------- two TERMs

start_server -p 2 --grace 60
pids=$(workers)
raw_open
ok "a raw client reads 64 KiB of big.bin and stops reading" raw_stall big.bin 65536
ok "its worker is sending" wait_titled 10 "^$PROG: worker [0-9]+ sending big\\.bin to "
stuck=$VICTIM
kill -TERM "$SERVER_PID"
ok "TERM: the server says it is stopping" wait_for 10 grep -q 'stopping:' "$SERVER_ERR"
sleep 1
ok "TERM: a second later it still waits for the stalled transfer" alive "$SERVER_PID"
t0=$(now_ms)
kill -TERM "$SERVER_PID"
ok "second TERM: the server exits at once" server_exits 5
elapsed=$(($(now_ms) - t0))
ok "second TERM: within 3 s (${elapsed} ms)" test "$elapsed" -lt 3000
is "$SERVER_RC" 0 "second TERM: exit status 0"
is "$(none_alive $pids)" "" "second TERM: no worker left (the sending one, $stuck, was killed)"
file_like "$SERVER_ERR" "worker [0-9]+ \\(pid $stuck\\) killed by signal 9" "second TERM: stderr says the worker was killed"
ok "second TERM: the stalled transfer is logged" test "$(count_lines 'test done:' "$SERVER_OUT")" = 1
tsv=$(server_log 1)
tsv=${tsv%.txt}.tsv
like "$(tsv_col "$tsv" ok):$(tsv_col "$tsv" reason)" "^no:worker [0-9]+ \\(pid $stuck\\) killed by signal 9" \
    "second TERM: as failed, the worker killed"
# What was already in its socket buffer is still there to read; then EOF.
timeout 5 cat <&"$RAW" >/dev/null
is "$?" 0 "second TERM: the raw client's connection is closed (EOF after the buffered bytes)"
raw_close

# ---------------------------------------------------------------- bounded grace

start_server -p 2 --grace 2
pids=$(workers)
raw_open
ok "grace 2: a raw client stalls a transfer" raw_stall big.bin 65536
t0=$(now_ms)
kill -TERM "$SERVER_PID"
ok "grace 2: one TERM, the server exits" server_exits 10
elapsed=$(($(now_ms) - t0))
ok "grace 2: after the grace, not before (${elapsed} ms)" test "$elapsed" -ge 1900 -a "$elapsed" -lt 8000
is "$SERVER_RC" 0 "grace 2: exit status 0"
is "$(none_alive $pids)" "" "grace 2: no worker left"
ok "grace 2: the stalled transfer is logged" test "$(count_lines 'test done:' "$SERVER_OUT")" = 1
tsv=$(server_log 1)
like "$(tsv_col "${tsv%.txt}.tsv" reason)" 'killed by signal 9' "grace 2: as failed, its worker killed"
raw_close

# ---------------------------------------------------------------- INT

start_server -p 2
pids=$(workers)
transfer_ok before-int 2 odd.bin
kill -INT "$SERVER_PID"
ok "INT: the server exits" server_exits 10
is "$SERVER_RC" 0 "INT: exit status 0"
is "$(none_alive $pids)" "" "INT: no worker left"
ok "INT: the test before was logged" test "$(count_lines 'test done:' "$SERVER_OUT")" = 1
rm -f "$CAT/big.bin"
done_testing
