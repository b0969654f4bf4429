#!/bin/bash
# 6a-status-abuse.t: the status endpoint under slow, greedy and
# flooding HTTP clients (issue 13). It is served by the master, which
# must never block and must go on answering everyone.
# - A client trickling a byte a second is cut at its request's deadline
#   (5 s), and meanwhile others are answered at once; an idle connection
#   is closed too, also when a worker was forked while it was open.
# - One address holding 8 connections (the per-address limit): its 9th
#   is closed at once, another address is still answered.
# - An overlong request line (414) and overlong headers (431).
# - A flood (4 loops, at most 2000 requests, at most 5 s) during a
#   3 x 200 MiB transfer: the transfer verifies, its time stays within a
#   generous bound of the same transfer without the flood, the master
#   answers SIGUSR1 meanwhile, and the requests are answered.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ops-lib.sh"
. "$(dirname "$0")/status-lib.sh"

BIG=$((200 << 20))
big_file "$CAT/big.bin" "$BIG" || bail "cannot write a 200 MiB file"
start_status_server -p 4

# eof_within FD SECONDS: the peer closes the connection within SECONDS
# (a read returns end of file rather than timing out or reading data).
eof_within() {
	local c rc
	read -r -t "$2" -N 1 -u "$1" c
	rc=$?
	[ "$rc" -gt 0 ] && [ "$rc" -le 128 ] && [ -z "$c" ]
}

# ---------------------------------------------------------------- slow

exec {IDLE}<>"/dev/tcp/$HOST/$SPORT" || bail "cannot connect to the status port"
exec {SLOW}<>"/dev/tcp/$HOST/$SPORT" || bail "cannot connect to the status port"
t0=$(now_ms)
cut_ms= during=
for ((i = 0; i < 15; i++)); do
	printf 'G' >&"$SLOW" 2>/dev/null || { cut_ms=$(($(now_ms) - t0)); break; }
	read -r -t 1 -N 1 -u "$SLOW" c
	rc=$?
	if [ "$rc" -gt 0 ] && [ "$rc" -le 128 ]; then	# end of file
		cut_ms=$(($(now_ms) - t0))
		break
	fi
	if [ "$i" = 2 ]; then
		t1=$(now_ms)
		http /metrics
		during="$HTTP_CODE in $(($(now_ms) - t1)) ms"
	fi
done
ok "a byte a second: cut at the request's deadline, 5 s (after ${cut_ms:-never} ms)" \
    test -n "$cut_ms" -a "${cut_ms:-0}" -ge 4000 -a "${cut_ms:-0}" -le 9000
like "$during" '^200 in [0-9]+ ms$' "meanwhile another client is answered ($during)"
ok "and at once (under 2 s)" test "$(echo "$during" | awk '{ print $3 + 0 }')" -lt 2000
ok "an idle connection is closed too" eof_within "$IDLE" 5
exec {SLOW}>&- {IDLE}>&-
ok "/metrics counts the cut" test "$(metric ftserver_status_connections_cut_total)" -ge 1

# A worker forked while a status connection is open must not keep a copy
# of it: the master's close would then not reach the client.
exec {IDLE}<>"/dev/tcp/$HOST/$SPORT" || bail "cannot connect to the status port"
victim=$(workers | awk '{ print $1 }')
kill -KILL "$victim"
ok "a worker killed meanwhile is respawned" wait_metric ftserver_worker_restarts_total 1
if command -v ss >/dev/null 2>&1; then
	holders=$(ss -Htanp "( sport = :$SPORT )" 2>/dev/null | grep -o 'pid=[0-9]*' | sort -u | tr '\n' ' ')
	is "$holders" "pid=$SERVER_PID " "the status sockets (listening, and the open connection) are the master's only, not the new worker's"
else
	skip "no ss (iproute2): cannot list the sockets' holders"
fi
ok "the connection open across the respawn is closed by the server" eof_within "$IDLE" 8
exec {IDLE}>&-

# ---------------------------------------------------------------- greedy

held=()
for ((i = 0; i < 8; i++)); do
	exec {fd}<>"/dev/tcp/$HOST/$SPORT" && held+=("$fd")
done
is "${#held[@]}" 8 "one address opens 8 connections (its limit)"
exec {NINTH}<>"/dev/tcp/$HOST/$SPORT"
ok "its 9th is closed at once" eof_within "$NINTH" 2
exec {NINTH}>&-
code=$(curl -s -m 5 --interface 127.0.0.2 -o /dev/null -w '%{http_code}' "$SURL/metrics" 2>/dev/null)
is "$code" 200 "another address (127.0.0.2) is answered meanwhile"
for fd in "${held[@]}"; do exec {fd}>&-; done

# ---------------------------------------------------------------- long

http "/$(head -c 100000 /dev/zero | tr '\0' a)"
is "$HTTP_CODE" 414 "a 100 KB request line: 414"
http / -H "X-Big: $(head -c 20000 /dev/zero | tr '\0' a)"
is "$HTTP_CODE" 431 "20 KB of headers: 431"
http /
is "$HTTP_CODE" 200 "then a normal request: 200"

# ---------------------------------------------------------------- flood

client base -c 3 -y -f big.bin -o "$T/base-out" -L "$T/base-logs"
is "$CLIENT_RC" 0 "3 x big.bin without a flood: exit 0"
base_ms=$(awk -F'\t' 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
    { if ($c["seconds"] > m) m = $c["seconds"] } END { printf "%d", m * 1000 }' "$T"/base-logs/*-log*.tsv)
rm -f "$T"/base-out/*

# flood_loop K END: keep-alive curls of 25 requests each, until 500 are
# made or the clock passes END (epoch seconds); one code per line.
flood_loop() {
	local k=$1 end=$2 n=0 urls=() i
	for ((i = 0; i < 25; i++)); do
		case $((i % 3)) in
		0) urls+=("$SURL/metrics") ;; 1) urls+=("$SURL/status.json") ;; *) urls+=("$SURL/") ;;
		esac
	done
	while [ "$n" -lt 500 ] && [ "$EPOCHSECONDS" -lt "$end" ]; do
		curl -s -m 5 -w '%{stderr}%{http_code}\n' "${urls[@]}" >/dev/null 2>>"$T/flood-$k.codes"
		n=$((n + 25))
	done
}
end=$((EPOCHSECONDS + 5))
for k in 1 2 3 4; do
	flood_loop "$k" "$end" &
	BG[flood$k]=$!
done
sleep 0.2
client_bg flood -c 3 -y -f big.bin -o "$T/flood-out" -L "$T/flood-logs"
ok "the master answers SIGUSR1 during the flood" dump
client_wait flood
is "$CLIENT_RC" 0 "3 x big.bin during the flood: exit 0, every copy verified"
check_received "$T/flood-out" 3 big.bin
for k in 1 2 3 4; do client_wait "flood$k"; done
flood_ms=$(awk -F'\t' 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
    { if ($c["seconds"] > m) m = $c["seconds"] } END { printf "%d", m * 1000 }' "$T"/flood-logs/*-log*.tsv)
ok "its time is not held back by the flood: $flood_ms ms, $base_ms ms without (bound: 4 x + 5 s)" \
    test "$flood_ms" -le $((4 * base_ms + 5000))
made=$(cat "$T"/flood-*.codes 2>/dev/null | grep -c .)
answered=$(cat "$T"/flood-*.codes 2>/dev/null | grep -c '^200$')
diag "flood: $made requests in at most 5 s, $answered answered 200; transfer $flood_ms ms (without: $base_ms ms)"
ok "the flood was one ($made requests, at most 2000)" test "$made" -ge 100 -a "$made" -le 2000
ok "the flood's requests are answered ($answered of $made: 200)" test "$answered" -ge $((made * 95 / 100))
ok "/metrics counts them" test "$(metric ftserver_status_requests_total)" -ge "$answered"

transfer_ok after 2 odd.bin
http /status.json
is "$HTTP_CODE" 200 "the endpoint still answers"
stop_server
done_testing
