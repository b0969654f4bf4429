#!/bin/bash
# 54-backoff.t: a worker that keeps dying young is respawned later and
# later instead of fork-storming. The worker of slot 1 is killed (-9)
# right after each respawn, 5 times (after a first kill of a worker that
# has lived more than 1 s, which is respawned at once); a worker that dies within 1 s of its
# start waits 200 ms, 400 ms, 800 ms, 1.6 s, 3.2 s. Only lower bounds are
# asserted (a respawn can be late on a busy machine, never early): each
# delay at least 90% of its due, the 5th at least 1 s, the last longer
# than the first. The other slots keep their workers, the server keeps
# serving, and a worker that lived more than 1 s is respawned at once.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ops-lib.sh"

KILLS=5

start_server -p 3
ok "USR1: a dump" dump
others="$(slot_pid 2) $(slot_pid 3)"
victim=$(slot_pid 1)
ok "slot 1 has a worker ($victim)" test -n "$victim"

# new_child KNOWN...: prints a child of the master that is not in KNOWN.
new_child() {
	pgrep -P "$SERVER_PID" | grep -vxF -f <(printf '%s\n' "$@") | head -1
}

# respawn_after_kill PID: kills PID, waits (bounded, 20 s) for its
# replacement; NEWPID, DELAY_MS (kill to first sight of the new pid).
respawn_after_kill() {
	local t0 deadline
	t0=$(now_ms)
	kill -KILL "$1"
	deadline=$((t0 + 20000))
	NEWPID=
	while [ "$(now_ms)" -le "$deadline" ]; do
		NEWPID=$(new_child "$1" $others)
		[ -n "$NEWPID" ] && break
		sleep 0.01
	done
	DELAY_MS=$(($(now_ms) - t0))
	[ -n "$NEWPID" ]
}

# The first worker has lived more than 1 s: its death is no quick one,
# it is replaced at once; its replacement's deaths are.
sleep 1.2
ok "kill 0 (a worker that lived 1 s): respawned" respawn_after_kill "$victim"
ok "...at once (${DELAY_MS} ms < 1000 ms)" test "$DELAY_MS" -lt 1000
victim=$NEWPID
delays=()
due=200
for ((i = 1; i <= KILLS; i++)); do
	if ! respawn_after_kill "$victim"; then
		fail "kill $i: slot 1 is respawned within 20 s"
		break
	fi
	delays+=("$DELAY_MS")
	ok "kill $i: respawned in $DELAY_MS ms, at least 90% of the due $due ms" \
	    test "$DELAY_MS" -ge $((due * 9 / 10))
	victim=$NEWPID
	due=$((due * 2))
done
diag "respawn delays (ms): ${delays[*]}"
ok "the 5th respawn took at least 1 s (${delays[4]:-?} ms)" test "${delays[4]:-0}" -ge 1000
ok "the delays grew: the last (${delays[4]:-?} ms) > 4 x the first (${delays[0]:-?} ms)" \
    test "${delays[4]:-0}" -gt $((4 * ${delays[0]:-0}))
is "$(grep -c 'worker 1 (pid [0-9]*) killed by signal 9' "$SERVER_ERR")" "$((KILLS + 1))" \
    "stderr: one line per death of worker 1 ($((KILLS + 1))), no fork storm"
ok "the server is running" alive "$SERVER_PID"
is "$(nworkers)" 3 "three workers"
dump
is "$(slot_pid 2) $(slot_pid 3)" "$others" "slots 2 and 3 keep their workers"
is "$(slot_pid 1)" "$victim" "slot 1 has the last respawned worker"
transfer_ok after-backoff 3 odd.bin

# The back-off ends with a worker that lives more than 1 s.
sleep 1.2
ok "after a life of 1 s: killed, respawned" respawn_after_kill "$victim"
ok "...at once (${DELAY_MS} ms < 1000 ms)" test "$DELAY_MS" -lt 1000
transfer_ok after-reset 3 64k.bin
stop_server
done_testing
