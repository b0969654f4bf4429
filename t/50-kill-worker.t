#!/bin/bash
# 50-kill-worker.t: kill -9 of a worker, idle, while it is sending (TCP
# and UDP), and while it waits at the start semaphore. Each time the
# master respawns it into the same slot (the USR1 dump shows the slot
# with a new pid), the transfer it held is logged as failed with a reason
# naming the worker and the signal, the other transfers of the test
# complete and verify, and the next test on the same server works (the
# start semaphore is not left blocked).
#
# "While it is sending": ftclient -c 3 fetches a 200 MiB file; as soon as
# a worker's title says "sending", the client is stopped (SIGSTOP), which
# holds every transfer in the middle (the workers block on full sockets),
# a sending worker is killed, and the client continues (SIGCONT).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ops-lib.sh"

BIG=$((200 << 20))
ok "a 200 MiB file for the transfers to be killed" big_file "$CAT/big.bin" "$BIG"

# --------------------------------------------------------------- idle

start_server -p 3
ok "USR1: a dump" dump
before=$(dump_rows)
old=$(slot_pid 2)
ok "slot 2 has a worker ($old)" test -n "$old"
kill -KILL "$old"
three_without() { [ "$(pgrep -P "$SERVER_PID" | grep -vcx "$1")" = 3 ]; }
ok "idle kill: a new worker replaces pid $old" wait_for 10 three_without "$old"
dump
is "$(slot_pid 1) $(slot_pid 3)" "$(echo "$before" | awk '$1 != 2 { printf "%s%s", s, $2; s = " " }')" \
    "idle kill: slots 1 and 3 keep their workers"
new=$(slot_pid 2)
ok "idle kill: slot 2 has the new pid ($new, was $old)" test -n "$new" -a "$new" != "$old"
is "$(pgrep -P "$SERVER_PID" | grep -cx "$new")" 1 "idle kill: the new pid is a child of the master"
is "$(dump_rows | awk '$1 == 2 { print $3 }')" idle "idle kill: slot 2 is idle again"
ok "idle kill: its title is 'worker 2 idle'" wait_for 5 eval '[ "$(title "$new")" = "$PROG: worker 2 idle" ]'
file_like "$SERVER_ERR" "worker 2 \\(pid $old\\) killed by signal 9 \\(Killed\\); respawning it" \
    "idle kill: stderr names the worker, its pid and the signal"
is "$(count_lines 'test done:' "$SERVER_OUT")" 0 "idle kill: no test log (it held no transfer)"
transfer_ok after-idle-kill 3 64k.bin
stop_server

# --------------------------------------------------------------- sending

# kill_sending TAG [-u]: one test of 3 connections of big.bin, with one
# sending worker killed mid-file; checks both sides, the respawn, and
# that a test of 3 (every worker, the new one included) works after.
kill_sending() {
	local tag=$1 proto=tcp udp=() vtitle k vport cpid csv stsv reason n col val bytes
	shift
	[ "${1:-}" = -u ] && proto=udp udp=(-u)
	client_bg "$tag" "${udp[@]}" -c 3 -y -f big.bin -o "$T/$tag-out" -L "$T/$tag-logs"
	if ! wait_titled 60 "^$PROG: worker [0-9]+ sending big\\.bin to "; then
		fail "$tag: a worker says it is sending"
		titles | sed 's/^/    /' >&2
		return 1
	fi
	cpid=$(client_pid "$tag")
	kill -STOP "$cpid"
	sleep 0.2	# the senders fill the sockets and block
	if ! VICTIM=$(worker_titled "^$PROG: worker [0-9]+ sending big\\.bin to "); then
		kill -CONT "$cpid"
		fail "$tag: a worker is still sending once the client is stopped"
		return 1
	fi
	pass "$tag: worker $VICTIM is sending, mid-file (client stopped)"
	vtitle=$(title "$VICTIM")
	k=$(echo "$vtitle" | sed -n "s/^$PROG: worker \([0-9]*\) .*/\1/p")
	vport=$(echo "$vtitle" | sed -n 's/.* to 127\.0\.0\.1:\([0-9]*\)$/\1/p')
	like "$vtitle" "^$PROG: worker $k sending big\\.bin to 127\\.0\\.0\\.1:$vport\$" \
	    "$tag: its title names slot $k, the file and the client's port $vport"
	kill -KILL "$VICTIM"
	ok "$tag: the master reaps it and says so" wait_for 10 grep -q \
	    "worker $k (pid $VICTIM) killed by signal 9 (Killed); respawning it" "$SERVER_ERR"
	kill -CONT "$cpid"
	client_wait "$tag"
	is "$CLIENT_RC" 1 "$tag: ftclient exits 1 (one transfer failed)"
	n=0
	for f in "$T/$tag-out"/Cliente*-Prueba-3.txt; do
		[ -e "$f" ] && cmp -s "$f" "$CAT/big.bin" && n=$((n + 1))
	done
	is "$n" 2 "$tag: the two other transfers completed: 2 files equal big.bin byte for byte"
	is "$(ls -A "$T/$tag-out" | grep -vc '^Cliente[123]-Prueba-3\.txt$')" 0 \
	    "$tag: nothing else in the output folder (no .part)"
	# The victim's row: over TCP the client's port is the one in the
	# title; over UDP the logs have the client's UDP port, and the row is
	# the one with the victim's UDP port (worker k owns PORT+k).
	if [ "$proto" = tcp ]; then col=11 val=$vport; else col=12 val=$((PORT + k)); fi
	csv=$(ls "$T/$tag-logs"/*-client-$proto-log.tsv 2>/dev/null | head -1)
	is "$(tsv_col "$csv" ok | sort | tr '\n' ' ')" "no yes yes " "$tag: client log: two yes, one no"
	reason=$(awk -F'\t' -v c="$col" -v v="$val" 'NR > 1 && $c == v { print $16 ": " $17 }' "$csv")
	like "$reason" '^no: .*(closed|reset)' "$tag: client log: the victim's connection failed ($reason)"
	ok "$tag: the server logs the test" wait_server_logs "$TESTS_DONE"
	stsv=$(server_log "$TESTS_DONE")
	stsv=${stsv%.txt}.tsv
	is "$(tsv_rows "$stsv")" 3 "$tag: server log: three rows"
	is "$(tsv_col "$stsv" ok | sort | tr '\n' ' ')" "no yes yes " "$tag: server log: two yes, one no"
	reason=$(awk -F'\t' -v c="$col" -v v="$val" 'NR > 1 && $c == v && $16 == "no" { print $17 }' "$stsv")
	like "$reason" "^worker $k \\(pid $VICTIM\\) killed by signal 9 \\(Killed\\)\$" \
	    "$tag: server log: the victim's row names the worker, its pid and the signal"
	bytes=$(awk -F'\t' -v c="$col" -v v="$val" 'NR > 1 && $c == v { print $13 }' "$stsv")
	ok "$tag: server log: it had sent part of the file ($bytes of $BIG bytes)" \
	    test -n "$bytes" -a "${bytes:-0}" -lt "$BIG"
	file_like "$(server_log "$TESTS_DONE")" "worker $k \\(pid $VICTIM\\) killed by signal 9" \
	    "$tag: the text log has the reason too"
	ok "$tag: the slot gets a worker again" wait_for 10 eval '[ "$(nworkers)" = 3 ]'
	dump
	like "$(slot_pid "$k")" '^[0-9]+$' "$tag: slot $k has a pid in the dump"
	ok "$tag: slot $k was respawned: a new pid ($(slot_pid "$k"), was $VICTIM)" \
	    test "$(slot_pid "$k")" != "$VICTIM"
	TESTS_DONE=$((TESTS_DONE + 1))
}

TESTS_DONE=1
start_server -p 3 --io-timeout 60
kill_sending tcp-kill
transfer_ok after-tcp-kill 3 odd.bin
stop_server

TESTS_DONE=1
start_server -u -p 3 --io-timeout 60
kill_sending udp-kill -u
client after-udp-kill -u -c 3 -y -f odd.bin -o "$T/after-udp-kill-out" -L "$T/after-udp-kill-logs"
is "$CLIENT_RC" 0 "after-udp-kill: a UDP test of 3 (every worker) exits 0"
check_received "$T/after-udp-kill-out" 3 odd.bin
stop_server

# --------------------------------------------------------------- at the semaphore

# Server groups of 3 (-n 3). Two raw members say READY and wait at the
# start semaphore; the worker of the first is killed. A third member
# (ftclient) arrives: the test starts with the two that are left, and the
# test after it (3 new members) starts too.
start_server -p 3 -n 3
raw_open
raw_send "GET 64k.bin"
raw_read offer
like "$offer" '^OK member=1 group=3 file=64k\.bin ' "semaphore: raw member 1 of 3"
raw_send READY
A=$RAW
a_port=$(raw_local_port)
raw_open
raw_send "GET 64k.bin"
raw_read offer
like "$offer" '^OK member=2 group=3 file=64k\.bin ' "semaphore: raw member 2 of 3"
raw_send READY
B=$RAW
ok "semaphore: both workers wait (gathering)" \
    wait_for 10 eval '[ "$(count_titled "gathering 64k\\.bin for")" = 2 ]'
VICTIM=$(worker_titled "^$PROG: worker [0-9]+ gathering 64k\\.bin for 127\\.0\\.0\\.1:$a_port\$")
ok "semaphore: member 1's worker is $VICTIM" test -n "$VICTIM"
k=$(title "$VICTIM" | sed -n "s/^$PROG: worker \([0-9]*\) .*/\1/p")
kill -KILL "$VICTIM"
RAW=$A
raw_read gone 10
is "$gone" "" "semaphore: member 1's connection is closed"
raw_close
RAW=$B
ok "semaphore: the master reaps the worker" wait_for 10 grep -q "worker $k (pid $VICTIM) killed by signal 9" "$SERVER_ERR"
client sem3 -c 1 -y -f 64k.bin -o "$T/sem3-out" -L "$T/sem3-logs"
is "$CLIENT_RC" 0 "semaphore: the third member (ftclient) gets its file"
ok "semaphore: as Cliente3-Prueba-3.txt, byte for byte" cmp -s "$CAT/64k.bin" "$T/sem3-out/Cliente3-Prueba-3.txt"
raw_read data 10
like "$data" "^DATA 65536 start=" "semaphore: raw member 2 is released too"
head -c 65536 <&"$RAW" >"$T/b.bin"
raw_send "DONE 65536 $(sha_of "$T/b.bin")"
raw_read bye 10
is "$bye" "BYE ok" "semaphore: raw member 2 receives the file and the server says BYE ok"
raw_close
ok "semaphore: the test is logged" wait_server_logs 1
stsv=$(server_log 1)
stsv=${stsv%.txt}.tsv
is "$(tsv_col "$stsv" ok | sort | tr '\n' ' ')" "no yes yes " "semaphore: two yes, one no"
reason=$(awk -F'\t' -v p="$a_port" 'NR > 1 && $11 == p { print $17 }' "$stsv")
like "$reason" "^worker $k \\(pid $VICTIM\\) killed by signal 9 \\(Killed\\)\$" \
    "semaphore: member 1's row names the worker and the signal"
ok "semaphore: the slot gets a worker again" wait_for 10 eval '[ "$(nworkers)" = 3 ]'
transfer_ok after-sem-kill 3 odd.bin
transfer_ok after-sem-kill-2 3 64k.bin
stop_server
done_testing
