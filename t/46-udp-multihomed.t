#!/bin/bash
# 46-udp-multihomed.t: a server with two addresses, bound to the wildcard
# address (ftserver's default, -b 0.0.0.0), and a client that connects to
# the second one. The client accepts datagrams only from the address its
# control connection goes to, so the worker must send them from that
# address, not from whichever one the route back prefers.
# Namespaces as in 45-udp-lossy.t (no loss here): the server's side has
# 198.18.0.1/24 and 198.18.0.3/24, the client's 198.18.0.2/24.
# Controls: the same server reached at its first address, and a server
# bound to the second address, both work.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/udp-lib.sh"

netns_pair
ip -n "$NS_A" addr add 198.18.0.3/24 dev "$VETH_A" ||
    skip_all "cannot add a second address"
pass "namespaces $NS_A (198.18.0.1 and .3) and $NS_B (198.18.0.2)"
netns_bins

# Wildcard server, client to the second address.
HOST=198.18.0.3
start_udp_server -p 2 -b 0.0.0.0
client second -u -c 1 -y -f odd.bin -o "$T/second-out" -L "$T/second-logs" -t 5
is "$CLIENT_RC" 0 "server on 0.0.0.0, client to its second address: ftclient exits 0"
ok "... the file is byte-identical" cmp -s "$CAT/odd.bin" "$T/second-out/Cliente1-Prueba-1.txt"
tsv=$(ls "$T/second-logs"/*-log*.tsv 2>/dev/null | head -1)
row=$(udp_violations "$tsv" '{ print f["ok"], f["datagrams_bad"], f["reason"] }')
like "$row" '^yes 0 -$' "... its log: ok, no datagram dropped as a stranger's (ok bad reason: $row)"
stop_server

# Controls.
start_udp_server -p 2 -b 0.0.0.0
HOST=198.18.0.1 udp_test wildcard-first 1 odd.bin reliable 1
stop_server
start_udp_server -p 2
udp_test bound-second 1 odd.bin reliable 1
stop_server
done_testing
