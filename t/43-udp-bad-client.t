#!/bin/bash
# 43-udp-bad-client.t: what ftclient makes of the datagrams it gets, from
# a fake server (t/udp-peer.pl server) that offers 64k.bin in 1200-byte
# datagrams (55 of them, the last 736 bytes) and misbehaves on purpose:
# - forged datagrams at the client's port before the data: DATA and an
#   end-of-pass FIN from strangers with the right transfer id (another
#   port; the right port on another address), and from the server's own
#   port a wrong id, bad magic, a truncated header, an empty datagram, a
#   len that does not match the datagram or the file, offsets past the
#   end, an unknown type, a STATUS, and datagrams too large for the
#   client's buffer. Those carrying data would corrupt the file if written;
#   the strangers' FIN would end a raw transfer early. All must be
#   counted (datagrams_bad) and dropped.
# - duplicates: counted (datagrams_dup), written once.
# - losses: reliable mode reports exactly the missing ranges and
#   completes once they are repaired; raw mode ends with the loss counted
#   exactly, exit status 1, and no file under the final name.
# - silence: no datagram ever arrives; the client's message says why.
# The fake server waits for the client's hello (with OK's secret) and
# sends to where it came from.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/udp-lib.sh"

NAME=64k.bin
SIZE=$(size_of "$CAT/$NAME")
SHA=$(sha_of "$CAT/$NAME")
TOTAL=55

# fake TAG MODE ARGS...: the fake server with ARGS, one ftclient against
# it; sets FAKE (its output), CLIENT_RC, ROW (the client's log row:
# ok datagrams lost dup bad bytes), REASON and SECS (its time).
fake() {
	local tag=$1 mode=$2 port tsv
	shift 2
	peer_bg "fake-$tag" server "$CAT/$NAME" "$mode" 1200 "$@"
	if ! wait_for 20 grep -qs '^port ' "$T/fake-$tag.out"; then
		fail "$tag: the fake server starts"
		return 1
	fi
	port=$(sed -n 's/^port //p' "$T/fake-$tag.out")
	PORT=$port client "$tag" -u -c 1 -y -f "$NAME" -o "$T/$tag-out" -L "$T/$tag-logs" -t 20
	wait "${BG[fake-$tag]}"
	is "$?" 0 "$tag: the fake server ($mode $*) ran to its end"
	unset "BG[fake-$tag]"
	FAKE=$(cat "$T/fake-$tag.out")
	tsv=$(ls "$T/$tag-logs"/*-client-udp-log.tsv 2>/dev/null | head -1)
	ok "$tag: the client wrote its UDP log" test -f "$tsv"
	ROW=$(udp_violations "$tsv" '{ print f["ok"], f["datagrams"], f["datagrams_lost"], f["datagrams_dup"], f["datagrams_bad"], f["bytes"] }')
	REASON=$(tsv_col "$tsv" reason)
	SECS=$(tsv_col "$tsv" seconds)
	is "$(udp_violations "$tsv" '
	    f["mode"] != mode { print "mode " f["mode"] }
	    f["datagram_size"] != 1200 { print "datagram_size " f["datagram_size"] }
	    f["wire_bytes"] < f["bytes"] + 48 * f["datagrams"] { print "wire_bytes " f["wire_bytes"] }' mode="$mode")" "" \
	    "$tag: client log: mode $mode, datagram size 1200, wire bytes >= bytes + 48 per datagram"
	ok "$tag: no sanitizer report from the client" no_sanitizer_reports "$T/$tag.out"
}

# verified TAG: exit 0, the file byte-identical, the right DONE.
verified() {
	is "$CLIENT_RC" 0 "$1: ftclient exits 0"
	[ "$CLIENT_RC" = 0 ] || tail -n 20 "$T/$1.out" | sed 's/^/    /' >&2
	ok "$1: Cliente1-Prueba-1.txt is byte-identical" cmp -s "$CAT/$NAME" "$T/$1-out/Cliente1-Prueba-1.txt"
	is "$(peer_value "$FAKE" done)" "$SIZE $SHA" "$1: its DONE gives the size and the right SHA-256"
}

# lost TAG LOST BYTES DUPS: raw mode lost LOST datagrams holding BYTES
# bytes, and saw DUPS duplicates.
lost() {
	local tag=$1 n=$2 missing=$3 dups=$4
	is "$CLIENT_RC" 1 "$tag: ftclient exits 1"
	is "$ROW" "no $((TOTAL - n)) $n $dups 0 $((SIZE - missing))" \
	    "$tag: log: ok=no, $((TOTAL - n)) received, $n lost, $dups duplicates, $((SIZE - missing)) bytes"
	like "$REASON" "^lost $n of $TOTAL datagrams" "$tag: the reason says how many ($REASON)"
	is "$(ls -A "$T/$tag-out")" "" "$tag: no file under the final name, no .part"
	like "$(peer_value "$FAKE" done)" "^$((SIZE - missing)) 0{64}\$" \
	    "$tag: its DONE gives what it has and no hash"
	file_like "$T/$tag.out" '^0 of 1 transfers verified' "$tag: the summary says 0 of 1 verified"
}

for mode in raw reliable; do
	fake "forged-$mode" "$mode" forge dup=0,2
	forged=$(peer_value "$FAKE" forged)
	like "$forged" '^1[56]$' "forged-$mode: $forged forged datagrams sent"
	verified "forged-$mode"
	is "$ROW" "yes $TOTAL 0 2 $forged $SIZE" \
	    "forged-$mode: log: ok, $TOTAL datagrams, none lost, 2 duplicates, $forged bad"
done

# Reliable: two losses in the middle, then the last datagram (shorter
# than the others), then everything: the first report after the end of
# the pass lists exactly what is missing; repaired, the file verifies.
fake rel-lose2 reliable drop=5,7 dup=3
verified rel-lose2
is "$(peer_value "$FAKE" ranges)" "5+1 7+1" "rel-lose2: the client reports exactly 5+1 7+1 missing"
is "$ROW" "yes $TOTAL 2 1 0 $SIZE" "rel-lose2: log: ok, $TOTAL datagrams, 2 lost, 1 duplicate"

fake rel-lose-last reliable drop=54
verified rel-lose-last
is "$(peer_value "$FAKE" ranges)" "54+1" "rel-lose-last: the client reports 54+1 missing"
is "$ROW" "yes $TOTAL 1 0 0 $SIZE" "rel-lose-last: log: ok, 1 lost"

fake rel-lose-all reliable drop=all
verified rel-lose-all
is "$(peer_value "$FAKE" ranges)" "0+$TOTAL" "rel-lose-all: the client reports 0+$TOTAL missing"
is "$ROW" "yes $TOTAL $TOTAL 0 0 $SIZE" "rel-lose-all: log: ok, $TOTAL lost (and repaired)"

# Raw: the same losses are final.
fake raw-lose2 raw drop=5,7 dup=3
lost raw-lose2 2 2400 1
fake raw-lose-last raw drop=54
lost raw-lose-last 1 736 0
fake raw-lose-all raw drop=all
lost raw-lose-all "$TOTAL" "$SIZE" 0

# Raw, the last datagram and the end-of-pass FIN both lost: the client
# ends on its own after a quiet second, and that wait is not counted in
# its time (first datagram received -> last datagram received).
fake raw-nofin raw drop=54 nofin
lost raw-nofin 1 736 0
ok "raw-nofin: the time counted ($SECS s) excludes the quiet wait that ended it" \
    awk -v s="${SECS:-9}" 'BEGIN { exit !(s < 0.9) }'
# An offer whose datagram count does not fit in 32 bits (2^41 + 512
# bytes in 512-byte datagrams): once counted as 1 datagram, "verified".
peer_bg fake-huge server "$CAT/$NAME" reliable 512 claim_size=$(( (1 << 41) + 512 ))
wait_for 20 grep -qs '^port ' "$T/fake-huge.out"
PORT=$(sed -n 's/^port //p' "$T/fake-huge.out") client huge -u -c 1 -y -f "$NAME" \
    -o "$T/huge-out" -L "$T/huge-logs" -t 5
kill "${BG[fake-huge]}" 2>/dev/null; wait "${BG[fake-huge]}" 2>/dev/null
unset 'BG[fake-huge]'
is "$CLIENT_RC" 1 "huge: ftclient exits 1"
file_like "$T/huge.out" 'more than UDP mode can count' "huge: it says the offer cannot be counted"
is "$(ls -A "$T/huge-out" 2>/dev/null)" "" "huge: nothing stored"

# A server whose datagrams never arrive (a firewall on the way): the
# client says hello every 0.1 s, then gives up after -t, saying what to
# check, instead of "no data".
peer_bg fake-silent server "$CAT/$NAME" reliable 1200 silent
wait_for 20 grep -qs '^port ' "$T/fake-silent.out"
PORT=$(sed -n 's/^port //p' "$T/fake-silent.out") client silent -u -c 1 -y -f "$NAME" \
    -o "$T/silent-out" -L "$T/silent-logs" -t 2
wait "${BG[fake-silent]}"
unset 'BG[fake-silent]'
is "$CLIENT_RC" 1 "silent: ftclient exits 1"
tsv=$(ls "$T/silent-logs"/*-client-udp-log.tsv 2>/dev/null | head -1)
like "$(tsv_col "$tsv" reason)" '^no datagram from the server within 2 s \([0-9]+ hellos sent\): UDP is blocked on the way \(firewall\? NAT\?\)$' \
    "silent: the reason says UDP is blocked ($(tsv_col "$tsv" reason))"
hellos=$(sed -n 's/^hellos //p' "$T/fake-silent.out")
ok "silent: the server got a hello every 0.1 s or so ($hellos in 2 s)" test "${hellos:-0}" -ge 10
done_testing
