#!/bin/bash
# 3c-samples.t: throughput over time (issue 11). ftclient samples each
# connection every -i seconds into ...-samples.tsv beside its log, and
# with --json FILE / --json-stream writes iperf3-style JSON. Over TCP and
# UDP (reliable: nothing lost, so the sums are exact), 3 connections of a
# 12 MB file at -i 0.01: the TSV's header and pairing ids, each
# connection's intervals tiling its transfer (contiguous, the bytes adding
# up to the log's, the last ending at the log's end), the JSON document
# and the stream parsed by python's json module with the same checks
# (t/samples-check.py). Then -i 0 (no samples), --json - (stdout is the
# document alone), and bad -i values refused with exit status 2.
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || { echo "1..0 # SKIP no python3"; exit 0; }
SIZE=12000000
N=3
head -c $SIZE /dev/urandom >"$CAT/12m.bin"
CHECK=$ROOT/t/samples-check.py

# checks OUTPUT-LINES: each PASS/FAIL line of samples-check.py, as TAP.
checks() {
	local line
	while IFS= read -r line; do
		case $line in
		PASS\ *) pass "${line#PASS }" ;;
		*) fail "${line#FAIL }" ;;
		esac
	done <<<"$1"
}

# fc TAG ARGS...: ftclient with stdout and stderr apart ($T/TAG.stdout,
# $T/TAG.stderr), bounded; exit status in CLIENT_RC.
fc() {
	local tag=$1
	shift
	timeout -k 5 60 "$CLIENT_BIN" -H "$HOST" -P "$PORT" -t 30 -y "$@" \
	    >"$T/$tag.stdout" 2>"$T/$tag.stderr"
	CLIENT_RC=$?
}

# one PROTO-FLAG TAG: a run with the TSV, the document and the stream.
one() {
	local tag=$1 log samples
	shift
	fc "$tag" "$@" -c $N -f 12m.bin -i 0.01 -o "$T/$tag-out" \
	    -L "$T/$tag-logs" --json "$T/$tag.json" --json-stream
	is "$CLIENT_RC" 0 "$tag: ftclient exits 0"
	ok "$tag: no sanitizer report" no_sanitizer_reports "$T/$tag.stderr"
	log=$(ls "$T/$tag-logs"/*-log.tsv 2>/dev/null | head -1)
	samples=$(ls "$T/$tag-logs"/*-samples.tsv 2>/dev/null | head -1)
	like "$(basename "${samples:-none}")" \
	    "^$(basename "${log%-log.tsv}")-samples\\.tsv\$" \
	    "$tag: the samples TSV is beside the log, under its base name"
	is "$(ls -A "$T/$tag-logs" | grep -vc -- '-log\.\(tsv\|txt\)$')" 1 \
	    "$tag: nothing else in the logs folder (no part file left)"
	[ -n "$log" ] && [ -n "$samples" ] || return
	checks "$(python3 "$CHECK" tsv "$log" "$samples" $SIZE $N 2>&1)"
	checks "$(python3 "$CHECK" doc "$log" "$T/$tag.json" $SIZE $N "$samples" 2>&1)"
	checks "$(python3 "$CHECK" stream "$log" "$T/$tag.stdout" $SIZE $N 2>&1)"
}

start_server -p 4
one tcp
# -i 0: no samples; the document has no intervals but its end.
fc off -c 1 -f 12m.bin -i 0 -o "$T/off-out" -L "$T/off-logs" --json -
is "$CLIENT_RC" 0 "-i 0: exits 0"
is "$(ls "$T/off-logs" | grep -c samples)" 0 "-i 0: no samples file"
is "$(python3 -c 'import json,sys; d = json.load(open(sys.argv[1]));
print(len(d["intervals"]), d["end"]["sum_received"]["bytes"])' "$T/off.stdout" 2>&1)" \
    "0 $SIZE" "--json -: stdout is the document alone (no intervals, the bytes)"
like "$(cat "$T/off.stderr")" '^$' "--json -: nothing on stderr"
stop_server

start_server -u -m reliable -p 4
one udp -u
stop_server

# Connections that end far apart (a fake server: 0.2 s and 2.4 s): each
# connection's last rows go out a tick or two after its end, so no
# interval event groups rows seconds apart (they waited for the test's
# end, and one event summed a row near 0.2 s with one near 2.4 s).
fake staggered
fc stag -c 2 -f s.bin -i 0.05 -o "$T/stag-out" -L "$T/stag-logs" --json-stream
is "$CLIENT_RC" 0 "ends 2.2 s apart: ftclient exits 0"
log=$(ls "$T/stag-logs"/*-log.tsv 2>/dev/null | head -1)
checks "$(python3 "$CHECK" stream "$log" "$T/stag.stdout" 49152 2 2>&1 |
    grep -e 'every line' -e 'tile' -e "interval's sum")"
is "$(python3 - "$T/stag.stdout" <<'EOF'
import json, sys
worst = 0.0
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e["event"] == "interval":
        ends = [x["end"] for x in e["data"]["streams"]]
        worst = max(worst, max(ends) - min(ends))
print("under 1 s" if worst < 1.0 else "%.3f s" % worst)
EOF
)" "under 1 s" "ends 2.2 s apart: no interval event spans rows 1 s apart"
unfake

# refused ARGS...: exit status 2 before connecting anywhere, saying why.
refused() {
	local out rc
	out=$(timeout -k 5 20 "$CLIENT_BIN" -H "$HOST" -P 9 -c 1 -y \
	    -L "$T/bad-logs" -o "$T/bad-out" "$@" 2>&1)
	rc=$?
	is "$rc" 2 "ftclient $*: exit status 2"
	like "$(head -1 <<<"$out")" "${WHY:-interval}" "ftclient $*: says why"
}
for bad in -1 0.001 0.0099 60.001 61 abc 1e-1 0x1 inf nan '' ' 1' 0.1.2 . 1,5; do
	refused -i "$bad"
done
WHY='both want stdout' refused --json - --json-stream
WHY='json' refused --json ''
for good in 0 0.01 0.5 60 1 ; do
	out=$(timeout -k 5 20 "$CLIENT_BIN" -H "$HOST" -P 9 -c 1 -y -t 1 \
	    -L "$T/good-logs" -o "$T/good-out" -i "$good" 2>&1)
	isnt_misuse=$?
	ok "ftclient -i $good: accepted (it fails to connect, exit 1)" \
	    test "$isnt_misuse" = 1
done
done_testing
