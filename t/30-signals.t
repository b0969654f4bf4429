#!/bin/bash
# 30-signals.t: the master's signals. USR1 prints a stats dump (a row per
# worker, then totals); a killed worker is respawned into its slot and
# the connection it held is logged as failed; HUP rescans the catalogue;
# TERM with a test still gathering exits 0, logs that test, and leaves no
# worker behind.
. "$(dirname "$0")/lib.sh"

# dump: sends USR1 and waits for the Nth totals line; DUMP is that dump.
dumps=0
dump() {
	dumps=$((dumps + 1))
	kill -USR1 "$SERVER_PID"
	if wait_for 10 dumped "$dumps"; then
		DUMP=$(awk -v n="$dumps" '/^slot +pid +state/ { k++ } k == n' "$SERVER_OUT" |
		    sed '/^totals:/q')
	else
		DUMP=
	fi
}

dumped() { [ "$(count_lines '^totals:' "$SERVER_OUT")" -ge "$1" ]; }

# dump_rows: "slot pid state" of each worker row in DUMP.
dump_rows() { echo "$DUMP" | awk '$1 ~ /^[0-9]+$/ { print $1, $2, $3 }'; }

start_server -p 3
workers=$(pgrep -P "$SERVER_PID" | sort -n | tr '\n' ' ')
is "$(echo $workers | wc -w)" 3 "three worker processes"

dump
ok "USR1: a stats dump with a header" test -n "$DUMP"
is "$(dump_rows | awk '{ print $1 }' | tr '\n' ' ')" "1 2 3 " "USR1: a row per worker slot"
is "$(dump_rows | awk '{ print $2 }' | sort -n | tr '\n' ' ')" "$workers" "USR1: the rows show the workers' pids"
is "$(dump_rows | awk '{ print $3 }' | sort -u)" idle "USR1: all idle"
like "$(echo "$DUMP" | tail -1)" '^totals: 0 tests, 0 connections, 0 transfers ok, 0 failed, 0 bytes sent$' \
    "USR1: a totals line"

transfer_ok usr1 2 odd.bin
wait_server_logs 1
dump
like "$(echo "$DUMP" | tail -1)" '^totals: 1 tests, 2 connections, 2 transfers ok, 0 failed, 2000006 bytes sent$' \
    "USR1 after a test of 2: the totals count it"
is "$(dump_rows | wc -l)" 3 "USR1: still a row per worker"

# Kill the worker that holds a connection waiting for READY.
raw_open
raw_send "GET one.bin group=2"
raw_read offer
dump
victim=$(dump_rows | awk '$3 == "gathering" { print $2 }')
ok "USR1 shows the gathering worker ($victim)" test -n "$victim"
kill -KILL "$victim"
raw_read reply 10
is "$reply" "" "the killed worker's connection is closed"
raw_close
ok "the event log says the test never started, with the worker's death as the reason" \
    wait_event "test [0-9]+ never started: .*the last one: worker [0-9]+ \\(pid $victim\\) killed by signal 9"
three_workers_without() { [ "$(pgrep -P "$SERVER_PID" | grep -vcx "$1")" = 3 ]; }
ok "a new worker takes the slot" wait_for 10 three_workers_without "$victim"
file_like "$SERVER_ERR" "worker [0-9]+ \\(pid $victim\\) killed by signal 9" "stderr says which worker died"
transfer_ok after-kill 3 64k.bin

# HUP: a file added to the folder becomes servable.
head -c 12345 /dev/urandom >"$CAT/new.bin"
kill -HUP "$SERVER_PID"
ok "HUP: the catalogue is rescanned" wait_for 10 grep -qs 'catalogue rescanned, 6 files' "$SERVER_ERR"
transfer_ok after-hup 1 new.bin

# TERM while a test is gathering: it never started, so the event log
# says so (no log pair), and the server exits 0.
raw_open
raw_send "GET odd.bin group=2"
raw_read offer
like "$offer" '^OK member=1 group=2 file=odd\.bin ' "a test of 2 is gathering"
pids_before=$(pgrep -P "$SERVER_PID" | tr '\n' ' ')
logged_before=$(count_lines 'test done:' "$SERVER_OUT")
stop_server
left=
for p in $pids_before; do alive "$p" && left+=" $p"; done
is "$left" "" "TERM: none of the workers ($pids_before) is left"
is "$(count_lines 'test done:' "$SERVER_OUT")" "$logged_before" \
    "TERM: no log pair for the gathering test"
file_like "$SERVER_ERR" 'test [0-9]+ never started: .*\(odd\.bin, 1 of 2 connections; the last one: before ready: the server is shutting down\)' \
    "TERM: the event log says it never started, as the server was shutting down"
raw_close
done_testing
