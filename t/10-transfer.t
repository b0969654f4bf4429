#!/bin/bash
# 10-transfer.t: tests of 1, 5 and 25 connections against one server:
# exit status, every ClienteK-Prueba-N.txt byte for byte, no .part left,
# one client log pair and one server log pair per test with every field,
# and both logs describing the same connections. Then the edge sizes
# (empty, one byte, exactly 64 KiB) and the server's own selection (-).
. "$(dirname "$0")/lib.sh"

# one_test N NAME K: a whole test of N connections, every check; it is
# the Kth test this server logs.
one_test() {
	local n=$1 name=$2 k=$3 tag="c$1-$2"
	client "$tag" -c "$n" -y -f "$name" -o "$T/$tag-out" -L "$T/$tag-logs"
	is "$CLIENT_RC" 0 "$tag: ftclient -c $n exits 0"
	[ "$CLIENT_RC" = 0 ] || tail -n 30 "$T/$tag.out" | sed 's/^/    /' >&2
	check_received "$T/$tag-out" "$n" "$name"
	check_client_logs "$T/$tag-logs" "$n" "$name"
	check_server_log "$k" "$n" "$name"
	check_logs_agree "$CLIENT_TSV" "$SERVER_TSV"
	file_like "$T/$tag.out" "^$n of $n transfers verified" \
	    "$tag: the summary says all $n verified"
}

start_server -p 25
one_test 1 3m.bin 1
one_test 5 odd.bin 2
one_test 25 odd.bin 3
is "$(log_pairs "$SLOGS" server | grep -c .)" 3 "server: three tests, three log pairs"
check_names_well_formed "$SLOGS" server

# Sizes at the edges, two connections each.
one_test 2 empty.bin 4
one_test 2 one.bin 5
one_test 2 64k.bin 6

# Without -f the client takes the server's selection (-f on the server).
stop_server
start_server -p 4 -f 64k.bin
client default -c 2 -y -o "$T/default-out" -L "$T/default-logs"
is "$CLIENT_RC" 0 "no -f: the client takes the server's selection"
check_received "$T/default-out" 2 64k.bin
stop_server
ok "no sanitizer report from the clients" no_sanitizer_reports "$T"/*.out
done_testing
