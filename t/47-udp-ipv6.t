#!/bin/bash
# 47-udp-ipv6.t: UDP over IPv6 loopback (server -b ::1, client -H ::1),
# raw and reliable, small, default and largest datagrams: every file byte
# for byte, both logs consistent, with the bare address ::1.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/udp-lib.sh"

if ! grep -q '^00000000000000000000000000000001 ' /proc/net/if_inet6 2>/dev/null; then
	skip_all "no IPv6 loopback (::1) on this machine"
fi
HOST=::1

start_udp_server -p 3 -m reliable -s 1200
udp_test v6-rel1200 3 odd.bin reliable 1 1200
file_like "$SERVER_TSV" $'\t::1\t' "the server's tsv has the bare address ::1"
file_like "$CLIENT_TSV" $'\t::1\t' "the client's tsv has the bare address ::1"
stop_server

start_udp_server -p 3 -m raw
udp_test v6-raw 3 3m.bin raw 1
stop_server

start_udp_server -p 2 -s 65487
udp_test v6-rel-max 2 3m.bin reliable 1 65487
stop_server
done_testing
