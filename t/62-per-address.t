#!/bin/bash
# 62-per-address.t: idle connections beyond the pool (issue 8). Server
# -p 4 --per-address 2 --idle-timeout 10: one host opens 10 connections
# that never send anything. Only 2 of them may wait for their request:
# the 8 others get "ERR 503 too many connections from 127.0.0.1 waiting
# to send a request (limit 2)" within a second and are closed, the 2 stay
# until the idle timeout (ERR 408). Meanwhile a real ftclient -c 2 from
# the same host (it sends its request at once) is served within a few
# seconds, not after the idle ones time out. And the default limit on a
# small pool: half the workers (at most 8), so it always applies.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/share-lib.sh"

"$SERVER_BIN" --per-address 2 --version >"$T/version.out" 2>&1
rc=$?
is "$rc" 0 "ftserver accepts --per-address 2 ($(head -1 "$T/version.out"))"
PER_ADDRESS=(--per-address 2)
if [ "$rc" != 0 ]; then
	# Today's server refuses the option: the rest runs without it, to
	# show what the idle connections do to the client.
	diag "running the rest without --per-address"
	PER_ADDRESS=()
fi

start_server -p 4 --idle-timeout 10 "${PER_ADDRESS[@]}"
t0=$(now_ms)
IDLE=
for ((i = 1; i <= 10; i++)); do
	peer_open "idle$i" && IDLE+=" idle$i"
done
is "$(echo $IDLE | wc -w)" 10 "10 connections from 127.0.0.1 that send nothing"

# What each one gets within 1 s (and a little for this script).
closed=0 busy=0 exact=0
open_ones=
for name in $IDLE; do
	if peer_eof "$name" $((t0 + 1500)); then
		closed=$((closed + 1))
		[[ ${TAIL[$name]} == *"ERR 503 too many connections"* ]] && busy=$((busy + 1))
		[[ ${TAIL[$name]} == *"ERR 503 too many connections from 127.0.0.1 waiting to send a request (limit 2);" ]] &&
		    exact=$((exact + 1))
	else
		open_ones+=" $name"
	fi
done
took=$(($(now_ms) - t0))
diag "after $took ms: $closed closed ($busy with ERR 503 too many connections), still open:$open_ones" \
    "idle1 got: '${TAIL[idle1]}'; idle10 got: '${TAIL[idle10]}'"
is "$busy" 8 "8 of them get ERR 503 too many connections ... within 1 s"
is "$exact" 8 "...exactly: ERR 503 too many connections from 127.0.0.1 waiting to send a request (limit 2)"
is "$closed" 8 "...and are closed"
is "$(echo $open_ones | wc -w)" 2 "2 of them stay"

# A real run from the same host, meanwhile.
t1=$(now_ms)
client_bg real -c 2 -y -f odd.bin -o "$T/real-out" -L "$T/real-logs"
served_in=
if wait_for 5 gone "${BG[real]}"; then served_in=$(($(now_ms) - t1)); fi
ok "ftclient -c 2 from the same host is served within 5 s (${served_in:-not within 5000} ms)" test -n "$served_in"
client_wait real
diag "ftclient ended $(($(now_ms) - t1)) ms after its start, exit $CLIENT_RC"
is "$CLIENT_RC" 0 "...and exits 0"
check_received "$T/real-out" 2 odd.bin

# The 2 that stayed: ERR 408 at the idle timeout (10 s from their start).
n408=0
for name in $open_ones; do
	peer_eof "$name" $((t0 + 14000))
	[[ ${TAIL[$name]} == *"ERR 408 "* ]] && n408=$((n408 + 1))
done
took=$(($(now_ms) - t0))
is "$n408" 2 "the 2 that stayed get ERR 408 at the idle timeout"
ok "...after it, not before ($took ms, 9000..14000)" test "$took" -ge 9000 -a "$took" -le 14000
peer_close_all
transfer_ok after 4 64k.bin
stop_server

# The default limit on a small pool (-p 4, no --per-address): it must be
# below the pool, or idle connections fill every worker and the rest wait
# in the listen queue ahead of real clients, where no limit sees them.
start_server -p 4 --idle-timeout 10
t0=$(now_ms)
for ((i = 1; i <= 20; i++)); do peer_open "dflt$i"; done
t1=$(now_ms)
client_bg dflt -c 2 -y -f odd.bin -o "$T/dflt-out" -L "$T/dflt-logs"
served_in=
if wait_for 8 gone "${BG[dflt]}"; then served_in=$(($(now_ms) - t1)); fi
ok "default limit, -p 4, 20 idle connections: ftclient -c 2 served within 8 s (${served_in:-not within 8000} ms)" \
    test -n "$served_in"
client_wait dflt
is "$CLIENT_RC" 0 "...and exits 0"
like "$(grep -m1 -o 'limit [0-9]*)' "$SERVER_ERR")" '^limit 2\)$' "...the default limit is half the workers (2), below the pool"
peer_close_all
stop_server
done_testing
