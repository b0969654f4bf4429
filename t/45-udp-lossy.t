#!/bin/bash
# 45-udp-lossy.t: UDP across a lossy link. Two network namespaces of our
# own joined by a veth pair (udp-lib.sh's netns_pair: 198.18.0.1/24 and
# 198.18.0.2/24, the benchmarking range), and in each an nftables rule
# that drops 5% of UDP input (netem is not in every kernel): data and
# FINs lost on the way to the clients, reports on the way to the server.
# The server (-b 198.18.0.1) runs in one namespace, the clients in the
# other.
# - reliable, 5 clients x 8 MiB: every file verifies; the clients saw
#   loss and the server repaired it (re-sent > 0).
# - raw, the same: the loss stays, and every client's log says exactly
#   how much (lost = total - received), exit status 1 when any was lost.
# - reliable, 25 clients x 2 MB, up to 15 tests in a row: all verify.
# Without -s, the datagram is the largest that crosses the veth's 1500
# byte MTU unfragmented: 1500 - 20 (IPv4) - 8 (UDP) - 20 (ours) = 1452.
# Needs root, ip netns and nft; otherwise the whole test is skipped with
# the reason. The namespaces are always deleted.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/udp-lib.sh"

LOSS_RULES='table inet ftloss {
	chain input {
		type filter hook input priority 0; policy accept;
		meta l4proto udp numgen random mod 100 < 5 counter drop
	}
}'

command -v nft >/dev/null || skip_all "no nft(8) (nftables)"
netns_pair
for ns in "$NS_A" "$NS_B"; do
	ip netns exec "$ns" nft -f - <<<"$LOSS_RULES" 2>/dev/null ||
	    skip_all "nft cannot load a ruleset in a namespace"
done
pass "namespaces $NS_A and $NS_B joined by a veth pair, 5% UDP input loss in each"
netns_bins
HOST=198.18.0.1

# A size that is no multiple of any datagram size.
head -c $((8 << 20)) /dev/urandom >"$CAT/8m.bin"
head -c 3 /dev/urandom >>"$CAT/8m.bin"

drops_in() {
	ip netns exec "$1" nft list table inet ftloss 2>/dev/null |
	    sed -n 's/.*counter packets \([0-9]*\) .*/\1/p'
}

for mode in reliable raw; do
	start_udp_server -p 5 -m "$mode"
	before=$(drops_in "$NS_B")
	udp_test "lossy-$mode" 5 8m.bin "$mode" 1 1452
	after=$(drops_in "$NS_B")
	ok "$mode: the client side's rule dropped datagrams (${before:-?} -> ${after:-?})" \
	    test "${after:-0}" -gt "${before:-0}"
	is "$(tsv_col "$CLIENT_TSV" client_ip | sort -u)" 198.18.0.2 \
	    "$mode: the client log shows the clients' namespace address"
	is "$(tsv_col "$SERVER_TSV" client_ip | sort -u)" 198.18.0.2 \
	    "$mode: the server log shows the clients' namespace address"
	lost=$(udp_sum "$CLIENT_TSV" datagrams_lost)
	if [ "$mode" = reliable ]; then
		# check_udp_test's invariants held through the loss: every
		# client got every datagram, the server sent each once plus
		# its repairs, re-sent >= duplicates per connection.
		ok "reliable: the clients saw loss ($lost transmissions lost)" test "$lost" -gt 0
		resent=$(udp_sum "$SERVER_TSV" datagrams_resent)
		ok "reliable: the server re-sent datagrams ($resent)" test "$resent" -gt 0
	else
		diag "raw: $lost datagrams lost in all; per client: $(udp_violations "$CLIENT_TSV" '{ printf "%s ", f["datagrams_lost"] }')"
		is "$(udp_violations "$SERVER_TSV" '{ print f["datagrams_resent"] }' | sort -u)" 0 \
		    "raw: the server re-sent nothing"
	fi
	stop_server
done

# Many clients at once, reliable: 25 x 2 MB, the same test again and
# again (up to 15 times, stopping at the first failure), each client
# allowed 5 s without data. Each connection's reports must carry its own
# numbers, whatever the other connections of the client are doing.
head -c 2000003 /dev/urandom >"$CAT/2m.bin"
start_udp_server -p 25 -m reliable
runs=0
failed=
while [ "$runs" -lt 15 ] && [ -z "$failed" ]; do
	runs=$((runs + 1))
	client "many$runs" -u -c 25 -y -f 2m.bin -o "$T/many$runs-out" -L "$T/many$runs-logs" -t 5
	[ "$CLIENT_RC" = 0 ] || failed=$runs
done
is "$failed" "" "25 clients x 2 MB, reliable, up to 15 tests in a row: none failed (ran $runs)"
if [ -n "$failed" ]; then
	diag "test $failed: $(grep -h 'no data\|failed' "$T/many$failed.out" | head -3)"
	check_udp_test "many$failed" 25 2m.bin reliable "$failed"
else
	check_udp_test "many$runs" 25 2m.bin reliable "$runs" 1452
fi
stop_server
diag "reports dropped on the way to the server: $(drops_in "$NS_A")"
done_testing
