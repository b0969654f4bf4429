#!/bin/bash
# 57-idle-timeout.t: connections that never ask for anything are dropped
# after --idle-timeout (ERR 408, then the connection closes), and so is
# one that trickles its request a byte at a time or only ever LISTs (the
# deadline counts from the connection, not from the last byte). While
# idle connections hold some workers, a test that fits in the free ones
# runs; once they are dropped, a test of every worker runs.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ops-lib.sh"

# idle_dropped TAG: reads the raw connection until it ends (bounded, 10
# s); IDLE_ERR is its last line, IDLE_MS the time since IDLE_T0.
idle_dropped() {
	local line last=
	while raw_read line 10; do last=$line; done
	IDLE_ERR=$last
	IDLE_MS=$(($(now_ms) - IDLE_T0))
}

start_server -p 3 --idle-timeout 1
IDLE_T0=$(now_ms)
raw_open
like "$GREETING" '^FT/1 ftserver ' "idle 1 s: a connection is greeted"
idle_dropped
like "$IDLE_ERR" '^ERR 408 no request in time$' "idle 1 s: saying nothing, it gets ERR 408"
ok "idle 1 s: and the server closes it, after the timeout ($IDLE_MS ms, 900..5000)" \
    test "$IDLE_MS" -ge 900 -a "$IDLE_MS" -le 5000
raw_close

# A request trickled a byte every 0.2 s, never finished.
IDLE_T0=$(now_ms)
raw_open
req="GET 64k.bin group=1 run=0000000000000001 client=1"
closed_at=
for ((i = 0; i < ${#req} && i < 50; i++)); do
	printf '%s' "${req:i:1}" >&"$RAW" 2>/dev/null || { closed_at=$i; break; }
	if IFS= read -r -t 0.2 line <&"$RAW"; then closed_at=$i; break; fi
done
idle_dropped
like "${line:-}${IDLE_ERR}" '^ERR 408 ' "trickle: a request sent a byte at a time is cut off with ERR 408"
ok "trickle: at the timeout, not at the end of the bytes ($IDLE_MS ms)" test "$IDLE_MS" -le 5000 -a -n "$closed_at"
raw_close

# LIST after LIST: the deadline does not move.
IDLE_T0=$(now_ms)
raw_open
lists=0
for ((i = 0; i < 40; i++)); do
	raw_send LIST || break
	got_end=
	while raw_read line 2; do
		[[ $line == END* ]] && { got_end=1; break; }
		[[ $line == ERR* ]] && break
	done
	[ -n "$got_end" ] || break
	lists=$((lists + 1))
	sleep 0.1
done
IDLE_ERR=$line
IDLE_MS=$(($(now_ms) - IDLE_T0))
like "$IDLE_ERR" '^ERR 408 ' "LIST every 0.1 s: answered ($lists times), then ERR 408 at the timeout"
ok "LIST every 0.1 s: cut off within 5 s ($IDLE_MS ms)" test "$IDLE_MS" -le 5000 -a "$lists" -ge 1
raw_close
transfer_ok after-idle 3 odd.bin
stop_server

# Three idle connections (within --per-address 3) hold three of five
# workers: a test of 2 runs.
start_server -p 5 --idle-timeout 3 --per-address 3
IDLE_T0=$(now_ms)
holders=()
for i in 1 2 3; do
	raw_open
	holders+=("$RAW")
done
ok "three idle connections hold three workers" \
    wait_for 5 eval '[ "$(count_titled " handshake with ")" = 3 ]'
client fits -c 2 -y -f odd.bin -o "$T/fits-out" -L "$T/fits-logs"
took=$(($(now_ms) - IDLE_T0))
is "$CLIENT_RC" 0 "a test of 2 in the 2 free workers exits 0"
check_received "$T/fits-out" 2 odd.bin
ok "...while the idle ones were still held ($took ms < 3000)" test "$took" -lt 3000
is "$(count_titled " handshake with ")" 3 "...and they still are"
n=0
for fd in "${holders[@]}"; do
	RAW=$fd
	idle_dropped
	[[ $IDLE_ERR =~ ^ERR\ 408\  ]] && n=$((n + 1))
	raw_close
done
is "$n" 3 "the three idle connections got ERR 408 and were closed"
ok "...after the 3 s timeout, not before ($IDLE_MS ms)" test "$IDLE_MS" -ge 2900
transfer_ok all-free 5 64k.bin
stop_server
done_testing
