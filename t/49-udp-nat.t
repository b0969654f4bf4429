#!/bin/bash
# 49-udp-nat.t: UDP through a NAT and a stateful firewall, as users have
# them. udp-lib.sh's netns_nat: the server in one namespace, a router
# that masquerades the clients' traffic with random source ports, the
# clients in a third namespace with no route from the server to them.
# Old servers sent the first window to the address of the TCP peer and
# the port READY named, before the client had sent anything: the NAT had
# no mapping for it (0 of 20 transfers worked). Now the client's hello
# opens the mapping and names the address and port the server answers.
# - reliable and raw, 5 clients at once: every copy verified; the server
#   logs the router's address and the NAT's ports.
# - the NAT forgetting an idle mapping after 2 s, the link to the
#   clients shaped to 20 Mbit/s (tbf), so that 2 x 4 MiB take about 3.5
#   s: the clients' reports keep the mapping alive to the end.
# - then without the NAT (the server gets a route to the clients), the
#   clients' namespace gets a firewall that accepts only established
#   traffic (Fedora's default, ufw): the same, and the firewall dropped
#   nothing (every datagram was an answer). Old raw receivers sent
#   nothing before data arrived, so every datagram was dropped.
# - TCP works through both.
# Needs root, ip netns and nft; otherwise skipped with the reason.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/udp-lib.sh"

netns_nat
pass "namespaces: server $NS_A, router $NS_R (masquerade, random ports), clients $NS_B"
netns_bins
HOST=198.18.0.1
head -c $((4 << 20)) /dev/urandom >"$CAT/4m.bin"
head -c 5 /dev/urandom >>"$CAT/4m.bin"

# address_checks TAG SEEN: the server saw the clients at SEEN; they know
# their own address.
address_checks() {
	is "$(tsv_col "$SERVER_TSV" client_ip | sort -u)" "$2" \
	    "$1: the server log shows the clients at $2"
	is "$(tsv_col "$CLIENT_TSV" client_ip | sort -u)" 10.99.0.2 \
	    "$1: the client log shows the clients' own address"
}

# fw_drops: packets the clients' firewall dropped so far.
fw_drops() {
	ip netns exec "$NS_B" nft list chain inet ftfw input 2>/dev/null |
	    sed -n 's/^[[:space:]]*counter packets \([0-9]*\) .*/\1/p' | tail -1
}

# elapsed T0: seconds since T0 (date +%s.%N).
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

seen=198.18.0.254
for stage in nat firewall; do
	if [ "$stage" = firewall ]; then
		ip netns exec "$NS_R" nft delete table ip ftnat &&
		    ip -n "$NS_A" route add 10.99.0.0/24 via 198.18.0.254 ||
		    abort_test "the NAT is replaced by a route"
		BEHIND_NAT= seen=10.99.0.2
		netns_firewall "$NS_B"
		pass "no NAT now; the clients' namespace accepts only established traffic"
	fi
	for mode in reliable raw; do
		start_udp_server -p 5 -m "$mode"
		udp_test "$stage-$mode" 5 4m.bin "$mode" 1
		address_checks "$stage-$mode" "$seen"
		stop_server
	done
	if [ "$stage" = nat ]; then
		ip netns exec "$NS_R" sysctl -qw net.netfilter.nf_conntrack_udp_timeout=2 \
		    net.netfilter.nf_conntrack_udp_timeout_stream=2 &&
		    ip netns exec "$NS_R" tc qdisc add dev "ftrb$$" root tbf rate 20mbit \
		    burst 32k latency 100ms ||
		    abort_test "short NAT mappings and a 20 Mbit/s link"
		start_udp_server -p 2 -m reliable
		t0=$(date +%s.%N)
		udp_test "short-mappings" 2 4m.bin reliable 1
		ok "short-mappings: it lasted longer than a mapping lives ($(elapsed "$t0") s > 2 s)" \
		    awk -v s="$(elapsed "$t0")" 'BEGIN { exit !(s > 2) }'
		stop_server
		ip netns exec "$NS_R" tc qdisc del dev "ftrb$$" root
	fi
	[ "$stage" = firewall ] && is "$(fw_drops)" 0 \
	    "firewall: it dropped nothing: every datagram the clients got was an answer"
	start_server -p 5
	transfer_ok "$stage-tcp" 5 4m.bin
	stop_server
done
done_testing
