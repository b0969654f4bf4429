#!/bin/bash
# 44-udp-vanish.t: a client that vanishes in the middle of a UDP transfer
# (t/udp-peer.pl client vanish=3: it reads three datagrams, then stops
# reading and answering). With --io-timeout 2 the worker gives up, logs
# the connection as failed with the reason, and serves the next client:
# with one worker, the same one.
# - silent: the control connection stays open; only the timeout can tell
#   ("the client stopped answering for 2 s").
# - gone: the process exits, so its control connection closes too ("the
#   client disconnected").
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/udp-lib.sh"

NAME=3m.bin
SIZE=$(size_of "$CAT/$NAME")

# failed_row K ERE TAG: the Kth test of this server is one failed row
# whose reason matches ERE, having sent part of the file.
failed_row() {
	local k=$1 ere=$2 tag=$3 tsv
	ok "$tag: the server logs the test" wait_server_logs "$k"
	tsv=$(server_log "$k")
	tsv=${tsv%.txt}.tsv
	is "$(tsv_rows "$tsv")" 1 "$tag: one row"
	is "$(tsv_col "$tsv" ok)" no "$tag: ok=no"
	like "$(tsv_col "$tsv" reason)" "$ere" "$tag: the reason says so ($(tsv_col "$tsv" reason))"
	bytes=$(tsv_col "$tsv" bytes)
	ok "$tag: part of the file was sent ($bytes of $SIZE bytes)" \
	    test "${bytes:-0}" -gt 0 -a "${bytes:-0}" -lt "$SIZE"
}

for mode in reliable raw; do
	start_udp_server -p 1 -m "$mode" --io-timeout 2
	peer client "$HOST" "$PORT" "$NAME" "$T/unused" vanish=3 hold=15
	like "$PEER_OUT" 'vanished after 3 of' "$mode, silent: the receiver went silent after 3 datagrams"
	like "$(peer_value "$PEER_OUT" closed)" '^after [0-9.]+ s$' \
	    "$mode, silent: the server closed the control connection ($(peer_value "$PEER_OUT" closed))"
	secs=$(peer_value "$PEER_OUT" closed | tr -dc '0-9.')
	ok "$mode, silent: ... about 2 s later, not at once and within 8 s" \
	    awk -v s="${secs:-99}" 'BEGIN { exit !(s >= 1.5 && s <= 8) }'
	failed_row 1 '^the client stopped answering for 2 s' "$mode, silent"
	ok "$mode, silent: the server is still running" alive "$SERVER_PID"
	udp_test "after-silent-$mode" 1 odd.bin "$mode" 2

	peer client "$HOST" "$PORT" "$NAME" "$T/unused" vanish=3 exit
	like "$PEER_OUT" 'vanished after 3 of' "$mode, gone: the receiver exited after 3 datagrams"
	failed_row 3 'client disconnected' "$mode, gone"
	udp_test "after-gone-$mode" 1 odd.bin "$mode" 4
	stop_server
done
done_testing
