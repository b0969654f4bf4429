#!/bin/bash
# 61-flood.t: a GET-and-hang-up flood (issue 8). One process connects,
# sends "GET odd.bin group=1" (then "GET -") and closes, as fast as it can,
# for 4 s, while real ftclient -c 5 runs are made one after the other.
# Every real run is served (exit 0, its files byte for byte), and
# afterwards the server's logs folder holds only the real tests' logs:
# exactly one pair per real run, none for the flood's tests that never
# started.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/share-lib.sh"

FLOOD_SECONDS=4

# flood SECONDS LINE: prints "connections refused-or-failed".
flood() {
	perl -MIO::Socket::INET -MTime::HiRes=time -e '
	    my ($port, $secs, $line) = @ARGV;
	    my $end = time + $secs;
	    my ($n, $bad) = (0, 0);
	    while (time < $end) {
	        my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1",
	            PeerPort => $port, Proto => "tcp", Timeout => 1);
	        unless ($s) { $bad++; next }
	        syswrite($s, "$line\n");
	        close($s);
	        $n++;
	    }
	    print "$n $bad\n";' "$PORT" "$1" "$2"
}

# files_ok OUT N NAME: check_received's test, without its TAP lines.
files_ok() {
	local k
	for ((k = 1; k <= $2; k++)); do cmp -s "$CAT/$3" "$1/Cliente$k-Prueba-$2.txt" || return 1; done
	[ "$(ls -A "$1" | wc -l)" = "$2" ]
}

# flood_with_runs TAG LINE: the flood in the background, and ftclient -c 5
# runs one after the other while it lasts (at least 3, at most 8).
flood_with_runs() {
	local tag=$1 line=$2 fpid t0 i rcs= bad=
	t0=$(now_ms)
	flood "$FLOOD_SECONDS" "$line" >"$T/$tag-flood.out" 2>&1 &
	fpid=$!
	sleep 0.2
	RUNS=0
	while [ "$RUNS" -lt 3 ] || { alive "$fpid" && [ "$RUNS" -lt 8 ]; }; do
		RUNS=$((RUNS + 1))
		i=$RUNS
		client "$tag$i" -c 5 -y -f 64k.bin -o "$T/$tag$i-out" -L "$T/$tag$i-logs"
		rcs+=" $CLIENT_RC"
		if [ "$CLIENT_RC" = 0 ]; then
			files_ok "$T/$tag$i-out" 5 64k.bin || bad+=" $tag$i:files"
		else
			bad+=" $tag$i:rc$CLIENT_RC"
			grep -h 'failed' "$T/$tag$i.out" | sed 's/client [0-9]*/client K/' | sort | uniq -c |
			    head -2 | sed "s/^/    $tag$i: /" >&2
		fi
	done
	ok "$tag: the flood ends (bounded)" wait_for $((FLOOD_SECONDS + 10)) gone "$fpid"
	wait "$fpid" 2>/dev/null
	read -r FLOODED FLOOD_BAD <"$T/$tag-flood.out"
	diag "$tag: flood of '$line': ${FLOODED:-?} connections in ${FLOOD_SECONDS} s ($((${FLOODED:-0} / FLOOD_SECONDS))/s, ${FLOOD_BAD:-?} failed to connect)" \
	    "$tag: $RUNS real runs in $(($(now_ms) - t0)) ms, exit statuses:$rcs"
	is "${bad# }" "" "$tag: each of the $RUNS ftclient -c 5 runs during the flood exits 0 with its 5 files"
	ok "$tag: the server is running" alive "$SERVER_PID"
	ok "$tag: it logged the real runs' tests" wait_server_logs "$RUNS"
	sleep 1	# anything late
	PAIRS=$(log_pairs "$SLOGS" server | grep -vc unpaired)
	is "$(ls "$SLOGS" | wc -l)" $((2 * RUNS)) \
	    "$tag: the logs folder holds only the real runs' logs: $((2 * RUNS)) files ($PAIRS pairs)"
	NEVER=$(count_lines 'never started' "$SERVER_ERR")
	diag "$tag: stderr has ${NEVER:-0} lines about tests that never started, $(wc -l <"$SERVER_ERR") in all"
}

start_server -p 10
flood_with_runs named "GET odd.bin group=1"
transfer_ok after-named 10 odd.bin
stop_server

start_server -p 10
flood_with_runs selection "GET -"
transfer_ok after-selection 10 odd.bin
stop_server
done_testing
