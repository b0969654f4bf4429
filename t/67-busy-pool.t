#!/bin/bash
# 67-busy-pool.t: when every worker is busy, a new run is still answered.
# - Every worker seated (a run of 2 on -p 2 that never says READY): a new
#   ftclient run is told it is queued (the master answers while no worker
#   can), not left to time out; once the seated test is given up at its
#   deadline, the queued run is seated and completes.
# - One connection of a run that never brings the rest holds the run's
#   seats for 10 s (the arrival deadline), not for the whole -t.
# - Idle connections from many addresses, each within --per-address,
#   holding every worker: while the pool is exhausted, a connection that
#   has sent nothing for a second is cut (ERR 503), so a real run is served
#   long before the idle timeout.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/share-lib.sh"

start_server -p 2 -t 4
peer_get s1 "GET odd.bin group=2 client=1 run=5eed5eed5eed5eed"
peer_get s2 "GET odd.bin group=2 client=2 run=5eed5eed5eed5eed"
like "${REPLY[s1]} / ${REPLY[s2]}" '^OK .* / OK ' "a run of 2 holds both workers (no READY)"
t0=$(now_ms)
client late -c 1 -y -t 8 -f 64k.bin -o "$T/late-out" -L "$T/late-logs"
took=$(($(now_ms) - t0))
is "$CLIENT_RC" 0 "a run arriving then: exit 0 (after $took ms)"
file_like "$T/late.out" 'queued, [0-9]+ ahead' "...it was told it was queued, not left waiting for a worker"
check_received "$T/late-out" 1 64k.bin
peer_close_all
stop_server

# One connection of a run of 4 that never brings the other 3 holds the
# 4 seats for the arrival deadline (10 s), not for -t: a run queued
# behind it is seated then.
start_server -p 4 -t 60
peer_get lone "GET odd.bin group=4 client=1 run=10e10e10e10e10e1"
like "${REPLY[lone]}" '^OK member=1 group=4 ' "a run's first connection of 4 is seated; the others never come"
t0=$(now_ms)
client behind -c 2 -y -t 30 -f 64k.bin -o "$T/behind-out" -L "$T/behind-logs"
took=$(($(now_ms) - t0))
is "$CLIENT_RC" 0 "a run queued behind it: exit 0"
ok "...seated once the arrival deadline gave the seats back ($took ms, < 15000, not -t's 60 s)" test "$took" -lt 15000
peer_eof lone $((t0 + 5000))
like "${TAIL[lone]}" 'ERR 409 test aborted: only 1 of 4 connections arrived within 10 s' \
    "the lone connection is told why"
peer_close_all
stop_server

start_server -p 2 --idle-timeout 20 --per-address 1
IDLE_READY=$T/idle.ready perl "$ROOT/t/idle-peers.pl" "$PORT" 15 127.0.0.2 127.0.0.3 >"$T/idle.out" &
BG[idle]=$!
# Both greeted, so both hold a worker before the real run comes (a
# fixed half second was too short on a loaded machine: the run got a
# worker first and nobody was cut).
wait_for 10 test -e "$T/idle.ready" || diag "the idle peers were not both greeted within 10 s"
t0=$(now_ms)
client real -c 1 -y -t 15 -f 64k.bin -o "$T/real-out" -L "$T/real-logs"
took=$(($(now_ms) - t0))
is "$CLIENT_RC" 0 "idle connections from 2 addresses hold both workers: a real run exits 0"
ok "...within 5 s, not after the idle timeout of 20 s ($took ms)" test "$took" -lt 5000
wait "${BG[idle]}"
unset 'BG[idle]'
is "$(grep -c 'ERR 503' "$T/idle.out")" 2 "...the idle ones were cut with ERR 503 ($(tr '\n' ' ' <"$T/idle.out"))"
stop_server
done_testing
