#!/bin/bash
# 4a-udp-gso.t: UDP segmentation offload, both ways, across a veth pair
# with a 1500-byte MTU (udp-lib.sh's netns_pair), where it matters: the
# server hands the kernel up to 64 datagrams per send (UDP_SEGMENT) and
# the client reads them glued (UDP_GRO) and cuts them apart.
# - the server says at start whether the kernel has GSO (Linux >= 4.18);
# - 5 clients, reliable then raw, a file whose last datagram is short (it
#   must end a send): every copy verified, nothing lost or bad;
# - -s 2000 over the 1500-byte MTU: the kernel refuses GSO for datagrams
#   larger than the path's MTU; the server says so once per worker and
#   goes on with plain sends (which IP fragments): every copy verified.
# Needs root and ip netns; skipped otherwise.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/udp-lib.sh"

netns_pair
netns_bins
HOST=198.18.0.1
head -c $((6 << 20)) /dev/urandom >"$CAT/6m.bin"
head -c 777 /dev/urandom >>"$CAT/6m.bin"

for mode in reliable raw; do
	start_udp_server -p 5 -m "$mode"
	if [ "$mode" = reliable ]; then
		like "$(grep 'listening on' "$SERVER_OUT")" ', GSO (on|off \(the kernel lacks UDP_SEGMENT\)),' \
		    "the server says whether it has GSO"
		grep -q ', GSO on,' "$SERVER_OUT" ||
		    diag "this kernel has no UDP GSO: the plain path is tested"
	fi
	udp_test "gso-$mode" 5 6m.bin "$mode" 1 1452
	is "$(udp_sum "$CLIENT_TSV" datagrams_lost) $(udp_sum "$CLIENT_TSV" datagrams_bad)" "0 0" \
	    "gso-$mode: nothing lost, nothing bad"
	stop_server
done

start_udp_server -p 2 -m reliable -s 2000
udp_test "too-large" 2 6m.bin reliable 1 2000
if grep -q ', GSO on,' "$SERVER_OUT"; then
	is "$(grep -c 'UDP GSO refused by the kernel or the device' "$SERVER_ERR")" 2 \
	    "-s 2000 over MTU 1500: each worker says GSO was refused, once"
else
	pass "-s 2000: no GSO here, nothing to refuse"
fi
stop_server
done_testing
