#!/bin/bash
# 60-perf-matrix.t: contrib/perf-matrix on a tiny matrix (files of 1 and
# 2 MB, 1 and 2 clients, tcp and udp) against the binaries under test:
# its report (by contrib/ft-report, which t/6b checks in depth) pairs
# every transfer's logs; report.md has a table per test with every column
# and a row per connection, the summary, findings, comparison and the
# run's conditions; results.csv parses (RFC 4180) with one row per
# transfer and every field; every PNG is a PNG; report.html is there. As
# root with tcpdump the run also captures, and each test's notes must give
# the capture's figures, and with tshark its section the capture's
# summary: conversations, retransmissions by kind, the GSO note, an I/O
# graph (skipped otherwise). As root with ip, tc
# and nft, a one-file --link lossy run must work and leave no namespace
# behind (skipped otherwise). Misuse and "needs root" exit with their
# codes. No figure is checked against a speed: only that it is there.
# shellcheck source=t/lib.sh
. "$(dirname "$0")/lib.sh"

PM=$ROOT/contrib/perf-matrix
export FTSERVER=$SERVER_BIN FTCLIENT=$CLIENT_BIN

# The script and its report are what this checks; the programs it runs
# are the plain pass's, and every transfer it makes the sanitizer pass
# makes elsewhere (t/10, t/12, t/40, t/45, t/6b's real logs).
if [ -n "${FT_SUFFIX:-}" ]; then
	echo "1..0 # SKIP perf-matrix (shell and Python) is checked in the plain pass (FT_SUFFIX=$FT_SUFFIX)"
	exit 0
fi

for tool in gnuplot python3; do
	if ! command -v $tool >/dev/null 2>&1; then
		echo "1..0 # SKIP $tool is not installed (apt-get install gnuplot-nox python3)"
		exit 0
	fi
done

is_root() { [ "$(id -u)" = 0 ]; }
have() { command -v "$1" >/dev/null 2>&1; }

PF=$T/perf-files
mkdir -p "$PF"
head -c 1048576 /dev/urandom >"$PF/one.bin"
head -c 2000003 /dev/urandom >"$PF/two.bin"

CAPTURE=()
if is_root && have tcpdump; then
	CAPTURE=(--capture)
fi

# ---------------------------------------------------------------- the run

R=$T/report
timeout -k 5 120 "$PM" -o "$R" -c 1,2 -f one.bin,two.bin -t tcp,udp -d "$PF" \
    "${CAPTURE[@]}" >"$T/pm.out" 2>&1
rc=$?
is "$rc" 0 "perf-matrix -c 1,2 -f one.bin,two.bin -t tcp,udp ${CAPTURE[*]} exits 0"
[ "$rc" = 0 ] || tail -n 20 "$T/pm.out" | sed 's/^/    /' >&2
[ -f "$R/report.md" ] || abort_test "report.md written"
MD=$R/report.md

# ---------------------------------------------------------------- report.md

# js EXPR: a Python expression over summary.json (as s), printed.
js() {
	python3 -c 'import json, sys; s = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' \
	    "$R/summary.json" "$1" 2>&1
}
is "$(js "[len(s['tests'])] + [s['pairing'][k] for k in ('client_rows', 'paired', 'unpaired_client_rows', 'unpaired_server_rows')] + [sum(t['verified'] for t in s['tests']), len(s['comparisons'])]")" \
    "[8, 12, 12, 0, 0, 12, 4]" \
    "summary.json: 8 tests, 12 of 12 client rows paired with the server's, 12 verified, 4 TCP/UDP comparisons"
ok "report.html written" test -s "$R/report.html"
if command -v chromium >/dev/null || command -v chromium-browser >/dev/null ||
    command -v google-chrome >/dev/null; then
	is "$(head -c 5 "$R/report.pdf" 2>/dev/null)" "%PDF-" "report.pdf written (headless Chromium)"
else
	skip "no chromium: no report.pdf"
fi

TCP_HDR='| Client | Bytes · client | Time (s) · client | Speed (MB/s) · client | Bytes · server | Time (s) · server | Speed (MB/s) · server | OK | Reason |'
UDP_HDR="$TCP_HDR datagrams received · client | lost · client | duplicates · client | datagrams sent · server | re-sent · server |"
is "$(grep -c '^## Test [0-9][0-9]*: ' "$MD")" 8 "report: a section per test (2 protocols x 2 files x 2 counts)"
is "$(grep -cxF "$TCP_HDR" "$MD")" 4 "report: the 4 TCP tables have every column"
is "$(grep -cxF "$UDP_HDR" "$MD")" 4 "report: the 4 UDP tables add the datagram accounting"

# rows_per_test: "clients:rows" per test section, from the headings
# ("... · N clients", "... · 1 client") and the connection rows under
# them (client number, then bytes).
rows_per_test() {
	awk '/^## Test [0-9]+: / { if (h) print want ":" got; h = 1; got = 0
		want = $0; sub(/ clients?$/, "", want); sub(/.* /, "", want); next }
	    /^## / { if (h) print want ":" got; h = 0; next }
	    h && /^\| [0-9]+ \| [0-9]+ \| / { got++ }
	    END { if (h) print want ":" got }' "$1" | tr '\n' ' '
}
is "$(rows_per_test "$MD")" "1:1 2:2 1:1 2:2 1:1 2:2 1:1 2:2 " \
    "report: each test table has one row per client"
is "$(grep -cE '^\| [0-9]+ \| [0-9]+ \| [0-9.]+ \| [0-9.]+ \| [0-9]+ \| [0-9.]+ \| [0-9.]+ \| yes \| ' "$MD")" 12 \
    "report: 12 rows with client and server bytes, times and rates, verified"
for section in '## Summary' '## Findings' '## TCP vs UDP comparison' '## Graphs' \
    '## Conditions' '## Pairing and logs read'; do
	file_like "$MD" "^$section\$" "report: section '$section'"
done
file_like "$MD" "^\\| Test \\| Protocol \\| File \\| Clients \\| Verified \\| Aggregate \\(MB/s\\) \\| Min \\(MB/s\\) \\| Median \\(MB/s\\) \\| Max \\(MB/s\\) \\| Jain's index \\|" \
    "report: aggregate, per-client spread and Jain's index per test"
file_like "$MD" '^- 12 of 12 transfers in 8 tests were verified' "report: findings count the verified transfers"
file_like "$MD" '^- TCP vs UDP \(reliable\), on unrounded aggregates \(loopback: CPU-bound\): UDP \(reliable\) was faster in [0-4] of 4 comparisons' \
    "report: findings compare TCP and UDP (-t udp is reliable UDP, -m's default), naming the condition"
is "$(awk -F'\t' 'NR > 1 && $3 == "host" && $5 ~ /^[0-9]+$/ { n++ } END { print n + 0 }' "$R/data/nstat.tsv")" 8 \
    "data/nstat.tsv: the host's TCP/UDP counters around each of the 8 tests"
file_like "$MD" '^- TCP tests, kernel counters around each test \(loopback: CPU-bound; nstat, host-wide: other traffic counts too\): [0-9]+ retransmissions and [0-9]+ tail-loss probes \(TLP: ' \
    "report: the retransmissions from nstat, with the TLPs among them"
file_like "$MD" '^- UDP: the servers sent [0-9]+ datagrams \([0-9]+ re-sent, [0-9.]+ %\); the clients counted [0-9]+ lost' \
    "report: findings state the UDP loss"
file_like "$MD" '^Link: loopback \(127\.0\.0\.1\)' "report: the link is stated at the top"
is "$(js "[k for k in ('kernel', 'CPUs', 'net.core.rmem_max', 'net.core.wmem_max', 'ftserver', 'ftclient', 'gcc', 'gnuplot', 'tcpdump', 'python3', 'server (tcp)', 'server (udp-reliable)', 'repeats', 'kernel counters') if not dict(s['conditions']).get(k)]")" \
    "[]" "conditions: kernel, CPUs, socket buffers, versions, the servers' command lines"
is "$(js "dict(s['conditions'])['file one.bin']")" "1048576 bytes, SHA-256 $(sha_of "$PF/one.bin")" \
    "conditions: one.bin size and SHA-256"
is "$(js "dict(s['conditions'])['file two.bin']")" "2000003 bytes, SHA-256 $(sha_of "$PF/two.bin")" \
    "conditions: two.bin size and SHA-256"
is "$(js "sorted({t['notes'].get('test') for t in s['tests']})")" \
    "['tcp-one.bin-c1', 'tcp-one.bin-c2', 'tcp-two.bin-c1', 'tcp-two.bin-c2', 'udp-reliable-one.bin-c1', 'udp-reliable-one.bin-c2', 'udp-reliable-two.bin-c1', 'udp-reliable-two.bin-c2']" \
    "notes: each test carries perf-matrix's name for it (matched by run id)"

# ---------------------------------------------------------------- results.csv

# csv_check FILE: parses RFC 4180 CSV (quoted fields may hold commas,
# quotes and line ends); prints the header's field count, the number of
# rows, and the rows whose field count differs.
csv_check() {
	perl -e '
	    local $/; my $s = <STDIN>; my (@rows, @f, $v); my $i = 0;
	    while ($i < length $s) {
		if (substr($s, $i, 1) eq "\"") {
		    $s =~ /\G"((?:[^"]|"")*)"/gc or die "unterminated quote\n";
		    ($v = $1) =~ s/""/"/g; $i = pos $s;
		} else { $s =~ /\G([^,\r\n]*)/gc; $v = $1; $i = pos $s }
		push @f, $v;
		my $c = substr($s, $i, 1);
		if ($c eq ",") { $i++; pos($s) = $i; next }
		$i += substr($s, $i, 2) eq "\r\n" ? 2 : 1; pos($s) = $i;
		push @rows, [@f]; @f = ();
	    }
	    my $n = @{$rows[0]}; my @bad = grep { @{$rows[$_]} != $n } 1 .. $#rows;
	    print "$n ", $#rows, " @bad\n";' <"$1"
}
CSV=$R/results.csv
ok "results.csv written" test -s "$CSV"
read -r csv_fields csv_rows csv_bad <<<"$(csv_check "$CSV")"
is "$csv_rows" 12 "results.csv: 12 rows, one per transfer (1+2 clients x 2 files x 2 protocols)"
is "${csv_bad:-}" "" "results.csv: every row has as many fields as the header ($csv_fields)"
# csv_col NAME: one column, by its header name (the fields hold no comma
# in a run where everything succeeded).
csv_col() {
	awk -F, -v c="$1" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == c) k = i; next }
	    k { print $k }' "$CSV" | tr -d '\r'
}
missing=
for c in test proto file size clients client client_port server_port ok reason \
    bytes_received client_seconds client_mb_per_s bytes_sent server_seconds \
    server_mb_per_s datagrams_sent datagrams_lost datagrams_resent; do
	head -n 1 "$CSV" | tr -d '\r' | tr ',' '\n' | grep -qx "$c" || missing+=" $c"
done
is "$missing" "" "results.csv: has the columns of both logs"
is "$(csv_col ok | sort -u | tr '\n' ' ')" "yes " "results.csv: every transfer ok"
is "$(paste -d: <(csv_col bytes_received) <(csv_col size) <(csv_col bytes_sent) |
    awk -F: '$1 != $2 || $3 != $2' | wc -l)" 0 "results.csv: bytes received and sent equal the size"
is "$(csv_col proto | sort | uniq -c | awk '{ printf "%s=%s ", $2, $1 }')" "tcp=6 udp=6 " \
    "results.csv: 6 tcp and 6 udp transfers"
is "$(csv_col client_port | grep -cE '^[1-9][0-9]*$')" 12 "results.csv: a client port on every row"

# ---------------------------------------------------------------- graphs

is_png() { [ "$(head -c 8 "$1" 2>/dev/null | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]; }
for g in aggregate spread clients; do
	ok "graphs/$g.png is a PNG" is_png "$R/graphs/$g.png"
	file_like "$MD" "^!\\[[^]]*\\]\\(graphs/$g\\.png\\)\$" "report: shows graphs/$g.png"
done
if [ -e "$R/graphs/udp-loss.png" ]; then
	file_like "$MD" '^!\[[^]]*\]\(graphs/udp-loss\.png\)$' "report: shows the UDP loss (some was lost or re-sent)"
else
	file_like "$MD" '^No UDP loss graph: no datagram was lost or re-sent\.$' "report: no empty UDP loss frame"
fi
is "$(grep -o '<svg' "$R/report.html" | wc -l)" "$(find "$R/graphs" -name '*.svg' | wc -l)" \
    "report.html: every graph inline as SVG"
for g in "$R"/graphs/*.png; do
	is_png "$g" || fail "$(basename "$g") is not a PNG"
done

# ---------------------------------------------------------------- capture

is_pcap() {
	case $(head -c 4 "$1" 2>/dev/null | od -An -tx1 | tr -d ' \n') in
	d4c3b2a1 | a1b2c3d4 | 4d3cb2a1 | a1b23c4d) return 0 ;;
	esac
	return 1
}
if ((${#CAPTURE[@]} > 0)); then
	is "$(find "$R" -maxdepth 1 -name '*.pcap' | wc -l)" 8 "--capture: one pcap per test"
	bad=
	for p in "$R"/*.pcap; do is_pcap "$p" || bad+=" $(basename "$p")"; done
	is "$bad" "" "--capture: every pcap is a pcap file"
	is "$(grep -cE '^\| packets captured \| [1-9][0-9]* \|$' "$MD")" 8 \
	    "--capture: each test states the packets captured"
	is "$(grep -cE '^\| TCP retransmissions \(from the capture\) \| [0-9]+ \|$' "$MD")" 8 \
	    "--capture: ...and the TCP retransmissions counted from it"
	file_like "$MD" '^\| capture \| tcpdump -i [a-z0-9]+ -s 128, server ports only' "--capture: the conditions say how"
	is "$(cat "$R"/data/*/first-packets.txt | grep -cE '^[0-9:.]+ IP 127\.0\.0\.1\.[0-9]+ > 127\.0\.0\.1\.[0-9]+: ')" 80 \
	    "--capture: the first 10 packets of each test listed (data/TEST/first-packets.txt, named in its notes)"
	if have tshark; then
		is "$(grep -lx $'status\tok' "$R"/data/*/capture.tsv 2>/dev/null | wc -l)" 8 \
		    "--capture: tshark summarised each test (data/TEST/capture.tsv says ok)"
		is "$(grep -c '^Capture (tshark, ' "$MD")" 8 "--capture: each test's section has its capture summary"
		is "$(grep -c '^On loopback frames are GSO super-frames, so frame counts are not wire packets' "$MD")" 8 \
		    "--capture: ...saying that loopback frames are GSO super-frames"
		is "$(grep -oE '^\| (tcp|udp) \| 127\.0\.0\.1:[0-9]+ \| 127\.0\.0\.1:[0-9]+ \| [0-9]+ \| [1-9][0-9]* \|' "$MD" |
		    cut -d' ' -f2 | sort | uniq -c | awk '{ printf "%s=%s ", $2, $1 }')" "tcp=12 udp=6 " \
		    "--capture: a conversation row per connection (6 TCP transfers, 6 UDP with their 6 controls)"
		is "$(grep -c '^TCP retransmissions by kind (tshark -z expert): retransmission [0-9]*, fast retransmission [0-9]*, spurious retransmission [0-9]*, previous segment not captured [0-9]*' "$MD")" 8 \
		    "--capture: each test states its TCP retransmissions by kind"
		is "$(find "$R/graphs" -name 'capture-*.png' | wc -l)" 8 "--capture: an I/O graph per test"
	else
		skip 6 "no tshark: no capture summaries (apt-get install tshark)"
	fi
else
	skip 12 "--capture needs root and tcpdump"
fi
ok "no sanitizer report from the servers and clients of the run" \
    no_sanitizer_reports "$R"/data/server-*.err "$R"/data/*/client.out

# ---------------------------------------------------------------- --link

if is_root && have ip && have tc && have nft; then
	L=$T/link
	# no calibration: the ceilings are t/6d-link.t's subject
	FT_CALIBRATE_SECONDS=0 timeout -k 5 120 "$PM" -o "$L" -c 1 -f one.bin -t tcp,udp -d "$PF" --link lossy \
	    >"$T/link.out" 2>&1
	rc=$?
	is "$rc" 0 "--link lossy: exits 0"
	[ "$rc" = 0 ] || tail -n 20 "$T/link.out" | sed 's/^/    /' >&2
	file_like "$L/report.md" '^- 2 of 2 transfers in 2 tests were verified' "--link lossy: both transfers verified"
	file_like "$L/report.md" "^\\| loss \\| nftables 'meta protocol ip numgen random mod 100 &lt; 2 drop'" \
	    "--link lossy: the report states the loss rule"
	is "$(grep -cE '^\| nftables drops server → client \| [0-9]+ \|$' "$L/report.md")" 2 \
	    "--link lossy: each test states what the link dropped"
	ns=$(sed -n 's/^| link | lossy: namespaces \(ftpm-[0-9a-f]*\)-srv .*/\1/p' "$L/report.md")
	like "$ns" '^ftpm-[0-9a-f]+$' "--link lossy: the report names its namespaces"
	is "$(ip netns list | grep -c "^${ns:-none}-")" 0 "--link lossy: its namespaces are gone"
else
	skip 6 "--link needs root, ip, tc and nft"
fi

# ---------------------------------------------------------------- misuse

"$PM" -c 1 >"$T/m1.out" 2>&1
is "$?" 2 "no -o: exit status 2"
"$PM" -o "$T/m2" --link wan >"$T/m2.out" 2>&1
is "$?" 2 "--link wan: exit status 2"
file_like "$T/m2.out" "'wan' is not one of lan1g, lan100m, lossy" "--link wan: says which profiles exist"
"$PM" -o "$T/m5" -d "$PF" -f one.bin -t tcp,udp-fast >"$T/m5.out" 2>&1
is "$?" 2 "-t udp-fast: exit status 2"
file_like "$T/m5.out" "'udp-fast' is none of tcp, udp-raw, udp-reliable" "-t udp-fast: says which protocols exist"
"$PM" -o "$T/m6" -d "$PF" -f one.bin --repeat 0 >"$T/m6.out" 2>&1
is "$?" 2 "--repeat 0: exit status 2"
"$PM" --help >"$T/help.out" 2>&1
file_like "$T/help.out" '^  -t LIST .*default tcp,udp-raw,udp-reliable' "--help: the default matrix has TCP, raw and reliable UDP"
"$PM" -o "$R" -d "$PF" -f one.bin >"$T/m3.out" 2>&1
is "$?" 3 "a report folder that is not empty: exit status 3"
if is_root && have setpriv; then
	setpriv --reuid=65534 --regid=65534 --clear-groups \
	    "$PM" -o "$T/m4" -d "$PF" -f one.bin --link lan1g >"$T/m4.out" 2>&1
	rc=$?
elif ! is_root; then
	"$PM" -o "$T/m4" -d "$PF" -f one.bin --link lan1g >"$T/m4.out" 2>&1
	rc=$?
else
	rc=skip
fi
if [ "$rc" = skip ]; then
	skip 2 "no setpriv to try --link without root"
else
	is "$rc" 3 "--link without root: exit status 3"
	file_like "$T/m4.out" 'needs root' "--link without root: says it needs root"
fi

done_testing
