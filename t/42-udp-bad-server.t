#!/bin/bash
# 42-udp-bad-server.t: forged, truncated and oversized datagrams, wrong
# transfer ids and offsets past the end, at every worker port of a
# running UDP server, before and during transfers. The server keeps
# serving, every transfer still verifies, and each worker counts what it
# dropped (datagrams_bad in its row of the server log).
#
# t/udp-peer.pl's set of bad datagrams for a worker (17 of them): empty,
# one byte, text, a header cut short, bad magic, types 0, 4 and 255, a
# STATUS whose len is longer or shorter than the datagram, one that
# claims more ranges than it holds, one with a range too many, DATA and
# FIN (which only the receiver gets), a STATUS with a wrong transfer id,
# 9000 bytes, and the largest UDP datagram.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/udp-lib.sh"

head -c 2000003 /dev/urandom >"$CAT/2m.bin"

# --- Before: the bad set at every worker port of an idle server; then a
# test that uses every worker. Each drains its port when its transfer
# starts: each row counts exactly the set.
for mode in reliable raw; do
	start_udp_server -p 3 -m "$mode"
	peer forge "$HOST" $UDP_PORTS
	forged=$(peer_value "$PEER_OUT" forged)
	like "$forged" '^[0-9]+$' "$mode, before: the bad set sent to ports $UDP_PORTS($forged each)"
	ok "$mode, before: the server is still running" alive "$SERVER_PID"
	SERVER_BAD=$forged udp_test "before-$mode" 3 2m.bin "$mode" 1
	# A second round: the workers drain it again (a late report of the
	# previous test may add to it).
	peer forge "$HOST" $UDP_PORTS
	udp_test "again-$mode" 3 odd.bin "$mode" 2
	is "$(udp_violations "$SERVER_TSV" "f[\"datagrams_bad\"] < $forged { print who f[\"datagrams_bad\"] }")" "" \
	    "$mode, again: every worker counted at least the $forged bad ones"
	stop_server
done

# --- During, exactly: a hand-driven receiver (t/udp-peer.pl client) that,
# after its first datagram, has a stranger (another port) send the worker
# two perfect reports with the right transfer id (one "all received",
# one "send everything again"), then sends the bad set itself, with a
# wrong id, and a good report whose ranges lie past the end of the file.
# The transfer completes and verifies; the worker counted exactly those
# and re-sent nothing.
for mode in reliable raw; do
	start_udp_server -p 1 -m "$mode" -s 1200
	peer client "$HOST" "$PORT" odd.bin "$T/during-$mode.bin" garbage
	is "$PEER_RC" 0 "$mode, during: the hand-driven receiver completes"
	[ "$PEER_RC" = 0 ] || diag "$PEER_OUT"
	like "$(peer_value "$PEER_OUT" bye)" '^BYE ok$' "$mode, during: the server confirms: BYE ok"
	ok "$mode, during: the file received is byte-identical" cmp -s "$CAT/odd.bin" "$T/during-$mode.bin"
	garbage=$(peer_value "$PEER_OUT" garbage)
	ok "$mode, during: the server logs the test" wait_server_logs 1
	tsv=$(server_log 1)
	tsv=${tsv%.txt}.tsv
	total=$(( ($(size_of "$CAT/odd.bin") + 1199) / 1200 ))
	is "$(udp_violations "$tsv" '{ print f["ok"], f["datagrams"], f["datagrams_resent"], f["datagrams_bad"] }')" \
	    "yes $total 0 $garbage" \
	    "$mode, during: ok, $total datagrams sent once each, none re-sent, $garbage bad counted"
	udp_test "after-$mode" 1 2m.bin "$mode" 2 1200
	stop_server
done

# --- Reports that cannot be true. The hand-driven receiver "loses" the
# first copy of datagrams 5 and 6 (skip=5,6): the reliable sender repairs
# exactly those two. Then again, but after its first datagram it also
# sends, from its own socket with the right id, one report acknowledging
# a transmission a million past anything sent (lie): the sender must not
# take it as the receiver's progress (nothing is known beyond what was
# sent), so the later, true reports still get datagram 5 repaired.
start_udp_server -p 1 -m reliable -s 1200
total=$(( ($(size_of "$CAT/odd.bin") + 1199) / 1200 ))
peer client "$HOST" "$PORT" odd.bin "$T/repair.bin" skip=5,6 deadline=20
is "$PEER_RC" 0 "repair: the receiver that lost datagrams 5 and 6 completes"
ok "repair: the file is byte-identical" cmp -s "$CAT/odd.bin" "$T/repair.bin"
ok "repair: the server logs the test" wait_server_logs 1
tsv=$(server_log 1)
is "$(udp_violations "${tsv%.txt}.tsv" '{ print f["ok"], f["datagrams"], f["datagrams_resent"], f["datagrams_lost"] }')" \
    "yes $((total + 2)) 2 2" "repair: ok, $total + 2 datagrams sent, 2 re-sent, 2 lost"
peer client "$HOST" "$PORT" odd.bin "$T/lie.bin" skip=5 lie deadline=5
[ "$PEER_RC" = 0 ] || diag "$PEER_OUT"
is "$PEER_RC" 0 "lie: the receiver completes although one report claimed max tx +1000000"
ok "lie: the file is byte-identical" cmp -s "$CAT/odd.bin" "$T/lie.bin"
ok "lie: the server logs the test" wait_server_logs 2
tsv=$(server_log 2)
row=$(udp_violations "${tsv%.txt}.tsv" '{ print f["ok"], f["datagrams_resent"], f["datagrams_lost"] }')
is "$row" "yes 1 1" "lie: ok, datagram 5 re-sent once, 1 transmission lost (not a million)"
udp_test after-lie 1 2m.bin reliable 3 1200
stop_server

# --- During, with real clients: a stream of bad datagrams at every worker
# port (the small ones, round after round) from before the test starts to
# after it ends.
for mode in reliable raw; do
	start_udp_server -p 5 -m "$mode"
	rm -f "$T/stop-blast"
	peer_bg "blast-$mode" blast "$HOST" 60 "$T/stop-blast" $UDP_PORTS
	ok "$mode, stream: the first round is out" \
	    wait_for 20 grep -qs "round 1 sent" "$T/blast-$mode.out"
	udp_test "stream-$mode" 5 2m.bin "$mode" 1
	is "$(udp_violations "$SERVER_TSV" 'f["datagrams_bad"] < 1 { print who f["datagrams_bad"] }')" "" \
	    "$mode, stream: every worker counted bad datagrams"
	udp_test "stream2-$mode" 5 odd.bin "$mode" 2
	touch "$T/stop-blast"
	wait "${BG[blast-$mode]}"
	is "$?" 0 "$mode, stream: the sender stops when told"
	unset "BG[blast-$mode]"
	diag "$mode, stream: $(grep rounds "$T/blast-$mode.out") of $(peer_value "$(cat "$T/blast-$mode.out")" forged) datagrams to each port"
	stop_server
done
done_testing
