#!/bin/bash
# 6b-report.t: contrib/ft-report builds the report from log folders alone.
# On the fixture folders (t/fixtures/report/): a lab of three hosts
# (server-vm, client-pc1, client-pc2) and a TCP/UDP pair that ties when
# rounded. Checked: exit status, pairing counts, exact figures in
# summary.json, failures not counted as verified throughput, the TCP vs UDP
# direction from unrounded values, escaping of hostile reasons, no external
# reference in the HTML, print CSS, --lang es, graphs with gnuplot (and a
# note without it), --pdf with headless Chromium (and without one), the
# link's ceilings (--ceilings). Then the real ftserver and ftclient over TCP and UDP,
# and ft-report on the server's and the client's log folders pairs every
# row. The sanitizer pass runs that last part only: the report of the
# sanitizer build's logs.
# shellcheck source=t/lib.sh
. "$(dirname "$0")/lib.sh"

if ! command -v python3 >/dev/null 2>&1; then
	echo "1..0 # SKIP python3 is not installed (apt-get install python3)"
	exit 0
fi

FR=$ROOT/contrib/ft-report
FIX=$ROOT/t/fixtures/report
LAB=(t/fixtures/report/lab/server-vm t/fixtures/report/lab/client-pc1 t/fixtures/report/lab/client-pc2)

# js FILE EXPR: a Python expression over summary.json (as s), printed.
js() {
	python3 -c 'import json, sys; s = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}
is_png() { [ "$(head -c 8 "$1" 2>/dev/null | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]; }
# test_of LOGSTAMP: the expression for the test whose server log has it.
test_of() { echo "[t for t in s['tests'] if (t['server_log'] or '').find('$1') >= 0][0]"; }

# The sanitizer pass checks the C programs: it runs the real logs part
# only (the fixture parts test Python and gnuplot, the same in both
# passes, and took half of this test's time).
if [ -z "${FT_SUFFIX:-}" ]; then
# ---------------------------------------------------------------- unit

if python3 "$ROOT/t/report-unit.py" >"$T/unit.out" 2>&1; then
	pass "unit tests of ft-report's pure parts ($(grep -o 'Ran [0-9]* tests' "$T/unit.out"))"
else
	fail "unit tests of ft-report's pure parts"
	sed 's/^/    /' "$T/unit.out" >&2
fi

# ---------------------------------------------------------------- the lab

R=$T/lab
"$FR" -o "$R" "${LAB[@]}" >"$T/lab.out" 2>&1
is "$?" 0 "lab fixtures: ft-report exits 0 (failed transfers and unpaired rows are reported, not errors)"
[ -f "$R/summary.json" ] || abort_test "summary.json written"
S=$R/summary.json
is "$(js "$S" "len(s['tests'])")" 6 "lab: 6 tests"
is "$(js "$S" "[s['pairing'][k] for k in ('logs', 'server_logs', 'client_logs')]")" "[12, 6, 6]" \
    "lab: 12 logs found recursively (6 server, 6 client) in three host folders"
is "$(js "$S" "[s['pairing'][k] for k in ('client_rows', 'paired', 'unpaired_client_rows', 'unpaired_server_rows', 'paired_by_test_start')]")" \
    "[10, 10, 0, 1, 1]" "lab: 10 of 10 client rows paired, 1 server row unpaired, 1 pair by test start"
file_like "$T/lab.out" '^ft-report: 6 tests, 10 of 10 client rows paired \(0 client and 1 server rows unpaired\)' \
    "lab: ft-report says what it paired"

# The server log whose client log was never copied.
lone=$(test_of 2026-12-01-15-41-00)
is "$(js "$S" "[${lone}['client_logs'], ${lone}['connections'][0]['paired'], ${lone}['basis']]")" \
    "[[], False, 'server']" "lab: a server log without its client log: listed, unpaired, measured by the server"
file_like "$R/report.md" '^\| \*\*1\*\* \| – \| – \| – \| 1000003 \| .* \| no client log \|$' \
    "lab: report.md marks its row 'no client log'"

# The gathered test: two runs from two client hosts.
gath=$(test_of 2026-12-01-15-31-24)
is "$(js "$S" "[len(${gath}['runs']), [h.split('/')[-1] for h in ${gath}['hosts']], [c['paired'] for c in ${gath}['connections']]]")" \
    "[2, ['client-pc1', 'client-pc2', 'server-vm'], [True, True, True]]" \
    "lab: the gathered test pairs both runs' rows, from two client hosts"

# The failed transfer: marked, reasons kept, not in the throughput.
bad=$(test_of 2026-12-01-15-40-00)
is "$(js "$S" "[${bad}['verified'], ${bad}['failed'], ${bad}['bytes'], ${bad}['aggregate_mb_per_s'] == 1000003 / 0.001880 / 1e6, ${bad}['median_mb_per_s'] == 1000003 / 0.001880 / 1e6]")" \
    "[1, 1, 1000003, True, True]" \
    "lab: the failed transfer is not verified throughput (aggregate and median from the verified one only)"
file_like "$R/report.md" '^\| \*\*2\*\* \| 524288 \| .* \| no — FAILED \| client: the server said: ERR 409 ' \
    "lab: report.md marks the failed row FAILED with the client's reason"
file_like "$R/report.md" '; server: the client closed the connection after 524288 of 1000003 bytes' \
    "lab: ...and the server's own reason"
file_like "$R/report.md" '^\*\*Failed, not counted: Client 2 ' "lab: the test says what it left out"
is "$(js "$S" "$(test_of 2026-12-01-15-31-22)['aggregate_mb_per_s'] == 2000006 / 0.001880 / 1e6")" True \
    "lab: a TCP aggregate is bytes / the longest client time, unrounded"

# Samples over time (ftclient -i): test 2's, found in client-pc1's folder
# and paired by run id and test number; its copy in client-pc2 is read once.
is "$(js "$S" "[(t['index'], t['samples']['connections'], t['samples']['intervals']) for t in s['tests'] if t['samples']['intervals']]")" \
    "[(2, 2, 6)]" "lab: samples paired with their test only (2 connections, 6 intervals, the copy read once)"
file_like "$R/report.md" "^No samples of this test's connections over time" "lab: a test without samples says so"

# UDP accounting, older and newer logs.
is "$(js "$S" "sorted($(test_of 2026-12-01-15-31-23)['udp'].items())")" \
    "[('bad', 0), ('duplicates', 0), ('loss_percent', 0.0), ('lost', 0), ('received', 62), ('resent', 0), ('sent', 62)]" \
    "lab: UDP datagram accounting"
is "$(js "$S" "[l['missing_columns'][:3] for l in s['logs'] if '2025-06-01' in l['log']]")" \
    "[['datagram_size', 'run', 'test'], ['datagram_size', 'run', 'test']]" \
    "lab: the older version's logs are read; their missing columns listed"
is "$(js "$S" "[c['paired_by'] for t in s['tests'] if t['test_start'].startswith('2025') for c in t['connections']]")" \
    "['start']" "lab: ...and paired by test start"
is "$(js "$S" "[l['extra_columns'] for l in s['logs'] if 'client-pc2' in l['log']]")" "[['rtt_ms']]" \
    "lab: an unknown column (in the middle) is ignored: columns are read by name"
is "$(js "$S" "[c['tcp_tests'], c['udp_tests'], c['faster'], [f['test'] for f in c['failed']]] if (c := s['comparisons'][0]) else 0")" \
    "[[2, 5], [3], 'udp', [5]]" "lab: TCP vs UDP of odd.bin x2 over both TCP tests, noting the failed one"

# Findings, each stating its figures.
file_like "$R/report.md" '^- 10 of 11 transfers in 6 tests were verified by SHA-256\.$' "findings: verified count"
file_like "$R/report.md" '^- Failed, not counted in any throughput: test 5 client 2 \(client: the server said' \
    "findings: the failed transfer, with its reasons"
file_like "$R/report.md" '^- TCP vs UDP \(reliable\), on unrounded aggregates \(conditions not stated\): UDP \(reliable\) was faster in 1 of 1 comparisons, TCP in 0, equal in 0\.$' \
    "findings: the comparisons' directions, per UDP mode, naming the condition (none given)"
file_like "$R/report.md" "^- Jain's fairness index over the tests of 2 or more clients: from 0\.8396 \(test 4\) to 0\.9990 \(test 3\)" \
    "findings: Jain's index range (a test with one verified transfer has none)"

# results.csv: one row per transfer, both logs' fields side by side.
CSV=$R/results.csv
is "$(python3 -c 'import csv, sys; r = list(csv.DictReader(open(sys.argv[1], newline="")))
print(len(r), sum(x["verified"] == "yes" for x in r), sorted({x["paired_by"] for x in r}),
    [x["bytes_received"] + "/" + x["bytes_sent"] + " " + x["ok"] + "/" + x["server_ok"] for x in r if x["verified"] == "no"])' "$CSV")" \
    "11 10 ['-', 'ids', 'start'] ['524288/524288 no/no']" \
    "results.csv: 11 transfers, 10 verified, how each paired, the failed one's bytes and verdicts"
missing=
for c in test proto file size clients client client_port server_port ok reason bytes_received \
    client_seconds client_mb_per_s bytes_sent server_seconds server_mb_per_s datagrams_sent \
    datagrams_lost datagrams_resent run server_test; do
	head -n 1 "$CSV" | tr -d '\r' | tr ',' '\n' | grep -qx "$c" || missing+=" $c"
done
is "$missing" "" "results.csv: perf-matrix's column names kept, plus run and server_test"

# --conditions and --notes: stated in the report, escaped like the logs.
printf 'item\tvalue\nlink\tloopback <b>x</b>\nkernel\t6.1\n' >"$T/cond.tsv"
printf 'run\tname\tftclient exit\n5c0e9d2f1a7b4e86\ttcp-odd-c2\t1\n' >"$T/notes.tsv"
"$FR" -o "$T/cn" --conditions "$T/cond.tsv" --notes "$T/notes.tsv" "${LAB[@]}" >"$T/cn.out" 2>&1
is "$?" 0 "--conditions, --notes: exits 0"
file_like "$T/cn/report.md" '^\| link \| loopback &lt;b&gt;x&lt;/b&gt; \|$' "--conditions: the conditions are stated (escaped)"
is "$(js "$T/cn/summary.json" "[t['notes'] for t in s['tests'] if t['notes']]")" \
    "[{'name': 'tcp-odd-c2', 'ftclient exit': '1'}]" "--notes: a run's notes go to its test only"
is "$(python3 -c 'import csv, sys; print({r["link"] for r in csv.DictReader(open(sys.argv[1]))})' "$T/cn/results.csv")" \
    "{'loopback <b>x</b>'}" "results.csv: the link column from the conditions"
printf 'value\nx\n' >"$T/badcond.tsv"
"$FR" -o "$T/bc" --conditions "$T/badcond.tsv" "${LAB[@]}" >"$T/bc.out" 2>&1
is "$?" 1 "--conditions without an item column: exit status 1"

# ---------------------------------------------------------------- HTML

H=$R/report.html
is "$(grep -ci '<script' "$H")" 0 "html: no <script> from a hostile reason reaches the page"
file_like "$H" '&lt;script&gt;alert\(&quot;x&quot;\)&lt;/script&gt; \\x1b\[2J' "html: the reason is shown, escaped"
is "$(grep -c $'\x1b' "$H" "$R/report.md" | awk -F: '{ s += $2 } END { print s }')" 0 \
    "html, md: no terminal escape byte"
is "$(grep -ci '<script' "$R/report.md")" 0 "md: no raw <script> either"
is "$(grep -oiE "(src|href|action|poster|data)[[:space:]]*=[[:space:]]*[\"']?([a-z][a-z0-9+.-]*:|//)|url\(|@import|<link|<iframe|<img" "$H" | wc -l)" 0 \
    "html: no external reference (src, href, url(), @import, link, img)"
file_like "$H" '@media print' "html: print CSS"
file_like "$H" 'section\.test \{ break-before: page; \}' "html: a page per test when printed"
is "$(grep -o '<section class="test">' "$H" | wc -l)" 7 "html: a section per test (6) and the pairing section"
file_like "$H" '<tr class="failed">' "html: the failed row is marked"

# ---------------------------------------------------------------- tie

TR=$T/tie
"$FR" -o "$TR" "$FIX/tie" >"$T/tie.out" 2>&1
is "$?" 0 "tie fixture: ft-report exits 0"
C="s['comparisons'][0]"
is "$(js "$TR/summary.json" "[round(${C}['tcp_mb_per_s'], 2) == round(${C}['udp_mb_per_s'], 2), ${C}['tcp_mb_per_s'] == 2000000 / 0.081010 / 1e6, ${C}['udp_mb_per_s'] == 2000000 / 0.081005 / 1e6]")" \
    "[True, True, True]" "tie: aggregates are exact and equal when rounded to 2 decimals"
is "$(js "$TR/summary.json" "[${C}['faster'], round(${C}['faster_by_percent'], 6)]")" "['udp', 0.006172]" \
    "tie: UDP was faster, by 0.006172 %, found on unrounded values"
file_like "$TR/report.md" '\| UDP \(reliable\) was faster than TCP by 0\.00617 % \(24\.690 vs 24\.688 MB/s\); reliable UDP re-sent 3 datagrams \(4\.62 % of those sent\) to repair losses \|$' \
    "tie: the finding prints as many decimals as show the difference, and reliable UDP's repairs"
is "$(js "$TR/summary.json" "[abs(s['tests'][0]['median_mb_per_s'] - (1 / 0.081 + 1 / 0.08101) / 2) < 1e-12, abs(s['tests'][1]['median_mb_per_s'] - (1 / 0.081005 + 1 / 0.08099) / 2) < 1e-12]")" \
    "[True, True]" "tie: per-client medians exact (the mean of the two middle rates)"
is "$(js "$TR/summary.json" "[s['tests'][1]['udp'][k] for k in ('sent', 'resent', 'received', 'lost', 'duplicates')]")" \
    "[65, 3, 62, 3, 1]" "tie: UDP sent, re-sent, received, lost, duplicates"

# ---------------------------------------------------------------- matrix

# perf-matrix's data/ of a real loopback run: tcp, udp-raw, udp-reliable x
# one.bin x 1 and 2 clients, --repeat 2, with its conditions, notes and
# kernel counters (nstat.tsv).
MX=$FIX/matrix
MR=$T/matrix
"$FR" -o "$MR" --conditions "$MX/conditions.tsv" --notes "$MX/notes.tsv" --nstat "$MX/nstat.tsv" "$MX" \
    >"$T/matrix.out" 2>&1
is "$?" 0 "matrix fixture (--repeat 2, raw and reliable UDP, nstat): ft-report exits 0"
MS=$MR/summary.json
is "$(js "$MS" "[(c['kind'], c['clients'], c['tests'], c['aggregate']['n']) for c in s['cells']]")" \
    "[('tcp', 1, [1, 3], 2), ('tcp', 2, [2, 4], 2), ('udp-raw', 1, [5, 7], 2), ('udp-raw', 2, [6, 8], 2), ('udp-reliable', 1, [9, 11], 2), ('udp-reliable', 2, [10, 12], 2)]" \
    "matrix: the repeated tests grouped into 6 cells of 2 (same protocol and mode, file, clients)"
# The cell's mean and interval recomputed here from the two tests' exact
# aggregates: t(1 df) = 12.706.
is "$(js "$MS" "[abs(c['aggregate']['mean'] - (a + b) / 2) < 1e-9 and abs(c['aggregate']['half'] - 12.706 * abs(a - b) / 2 ** 0.5 / 2 ** 0.5) < 1e-9 for c in s['cells'] for a, b in [[s['tests'][i - 1]['aggregate_mb_per_s'] for i in c['tests']]]]")" \
    "[True, True, True, True, True, True]" "matrix: mean and 95 % CI (Student's t, n=2) of each cell from exact aggregates"
file_like "$MR/report.md" '^## Repeated cells$' "matrix: a section for the repeated cells"
file_like "$MR/report.md" '^\| udp \(raw\) \| one\.bin \| 2 \| 6, 8 \| 2 \| [0-9.]+ \| [0-9.]+ \| -?[0-9.]+ – [0-9.]+ \| ' \
    "matrix: raw UDP's cell with its mean, SD and CI"
is "$(js "$MS" "[(c['udp_mode'], c['clients'], c['ci_overlap']) for c in s['comparisons']]")" \
    "[('raw', 1, True), ('reliable', 1, False), ('raw', 2, False), ('reliable', 2, False)]" \
    "matrix: TCP compared with raw and with reliable UDP apart; whether the CIs overlap"
file_like "$MR/report.md" 'UDP \(raw\) was faster than TCP by [0-9.]+ % \([0-9.]+ vs [0-9.]+ MB/s\); means of 2 and 2 tests: their 95 % confidence intervals overlap, so the difference is not established; raw UDP lost 0 datagrams' \
    "matrix: a 'faster' claim says the CIs overlap, and what raw UDP lost"
file_like "$MR/report.md" '^- TCP vs UDP \(raw\), on unrounded aggregates \(loopback: CPU-bound\): UDP \(raw\) was faster in 2 of 2 comparisons' \
    "matrix: findings per UDP mode, naming the condition (loopback: CPU-bound)"
file_like "$MR/report.md" '^Condition: loopback \(127\.0\.0\.1\)\. Server and clients share this host.s processors' \
    "matrix: the findings start with their condition"
file_like "$MR/report.md" '^- TCP tests, kernel counters around each test \(loopback: CPU-bound; nstat, host-wide: other traffic counts too\): 4 retransmissions and 4 tail-loss probes \(TLP: a probe sent when the sender.s ack is late, typical of a CPU-starved host on loopback; not a loss\. .* at most 0 retransmissions were no probe\)' \
    "matrix: the retransmissions from nstat, the TLPs among them said to be no loss"
is "$(grep -c '^| host | vm | ' "$MR/report.md")" 12 "matrix: each test shows its nstat counters"
is "$(js "$MS" "s['tests'][3]['nstat'][0]['counters']['TcpExtTCPLossProbes']")" 2 \
    "matrix: a test's counters are its own (test 4: 2 TLPs)"
if command -v gnuplot >/dev/null 2>&1; then
	ok "matrix: cells.png, the repeated cells' means with error bars" is_png "$MR/graphs/cells.png"
	file_like "$MR/graphs/cells.gp" 'with yerrorbars' "matrix: the error bars are the 95 % CI"
	file_like "$MR/graphs/aggregate.gp" "title 'UDP raw'.*title 'UDP reliable'" \
	    "matrix: the aggregate graph draws raw and reliable UDP apart"
else
	skip 3 "gnuplot is not installed"
fi

# Raw UDP over perf-matrix's --link lossy (2 % each way): nothing repairs
# the loss, both copies fail.
LX=$FIX/raw-lossy
"$FR" -o "$T/lossy" --conditions "$LX/conditions.tsv" --notes "$LX/notes.tsv" --nstat "$LX/nstat.tsv" "$LX" \
    >"$T/lossy.out" 2>&1
is "$?" 0 "raw-lossy fixture: ft-report exits 0"
file_like "$T/lossy/report.md" '^## Test 1: udp \(raw\) · one\.bin' "raw-lossy: the test is labelled raw UDP"
file_like "$T/lossy/report.md" '^- Failed, not counted in any throughput: test 1 client 1 \(client: lost 18 of 723 datagrams' \
    "raw-lossy: the lost datagrams fail the transfer, in the findings"
file_like "$T/lossy/report.md" '^Condition: lossy: namespaces ' "raw-lossy: the findings name the link's profile"
is "$(js "$T/lossy/summary.json" "[s['tests'][0][k] for k in ('verified', 'failed')] + [s['tests'][0]['udp']['lost']]")" \
    "[0, 2, 31]" "raw-lossy: 0 verified, 2 failed, 31 datagrams lost"
if command -v gnuplot >/dev/null 2>&1; then
	ok "raw-lossy: nothing verified, yet the loss is drawn (udp-loss.png)" is_png "$T/lossy/graphs/udp-loss.png"
	file_like "$T/lossy/report.md" '^Graphs skipped: no verified transfer to draw\.$' "raw-lossy: ...and the other graphs' absence explained"
else
	skip 2 "gnuplot is not installed"
fi

# A test interrupted by the user (ftclient got SIGINT mid-transfer).
"$FR" -o "$T/aborted" "$FIX/aborted/server" "$FIX/aborted/client" >"$T/aborted.out" 2>&1
is "$?" 0 "aborted fixture: ft-report exits 0"
file_like "$T/aborted/report.md" '^- Failed, not counted in any throughput: test 1 client 1 \(client: interrupted after 49587266 bytes; server: Broken pipe after 52534001 of 60000000 bytes\)' \
    "aborted: both sides' reasons, not counted"
file_like "$T/aborted/report.md" '^No verified transfer: no throughput\.$' "aborted: no throughput from it"

# ---------------------------------------------------------------- ceilings

# The link's ceilings (perf-matrix --link: iperf3 in the same run), read
# by column name from a file whose columns are in another order.
CR=$T/ceil
"$FR" -o "$CR" --ceilings "$FIX/tie-ceilings.tsv" "$FIX/tie" >"$T/ceil.out" 2>&1
is "$?" 0 "--ceilings: exits 0"
is "$(js "$CR/summary.json" "[t['ceiling']['percent'] == 100 * (2000000 / 0.081010 / 1e6) / 25.0 for t in s['tests'][:1]] + [s['tests'][1]['ceiling']['mb_per_s'], len(s['ceilings'])]")" \
    "[True, 27.5, 2]" "--ceilings: each test against its protocol's ceiling, exactly"
file_like "$CR/report.md" '^\| iperf3 \| tcp \| 200\.0 \| 25\.00 \| 12 \| – \| 3\.002 \| cubic \|$' \
    "--ceilings: the ceilings table (Mbit/s, MB/s, retransmissions, congestion control)"
file_like "$CR/report.md" '^\| 1 \| tcp \| same\.bin \| 2 \| 24\.69 \| 25\.00 \| 98\.8 \|$' \
    "--ceilings: ft's aggregate next to the ceiling, as a percentage"
file_like "$CR/report.md" '^Ceiling of the link \(iperf3 UDP, same run\): 27\.50 MB/s; this test.s aggregate is 89\.8 % of it\.$' \
    "--ceilings: stated in the test's own section"
file_like "$CR/graphs/aggregate.gp" "^plot .*, 25 with lines .* title 'iperf3 TCP ceiling', 27\\.5 with lines .* title 'iperf3 UDP ceiling'\$" \
    "--ceilings: drawn as horizontal lines on the aggregate graph"
file_like "$CR/graphs/spread.gp" "title 'iperf3 TCP ceiling'" "--ceilings: ... and on the per-connection graph"
is "$(grep -c 'Ceiling of the link' "$TR/report.md")" 0 "without --ceilings: no ceiling section"
printf 'tool\tprotocol\tbits_per_second\niperf3\ttcp\tfast\n' >"$T/bad-ceil.tsv"
"$FR" -o "$T/badceil" --ceilings "$T/bad-ceil.tsv" "$FIX/tie" >"$T/badceil.out" 2>&1
is "$?" 1 "--ceilings with a rate that is no number: exit 1"
file_like "$T/badceil.out" "bits_per_second 'fast' is not a number" "... and it says why"

# ---------------------------------------------------------------- es

ES=$T/es
"$FR" -o "$ES" --lang es "${LAB[@]}" >"$T/es.out" 2>&1
is "$?" 0 "--lang es: exits 0"
for h in '^# Informe de ft$' '^## Resumen$' '^## Comparación TCP vs UDP$' '^## Prueba 1: tcp ' \
    '^\| Cliente \| Bytes · cliente \| Tiempo \(s\) · cliente \| Velocidad \(MB/s\) · cliente \|.* \| Verificado \| Motivo \|$' \
    '^## Emparejamiento y logs leídos$' 'no — FALLIDA'; do
	file_like "$ES/report.md" "$h" "--lang es: $h"
done
file_like "$ES/report.html" '<html lang="es">' "--lang es: the page says its language"

# ---------------------------------------------------------------- graphs

if command -v gnuplot >/dev/null 2>&1; then
	is "$(grep -o '<svg' "$H" | wc -l)" 5 "graphs: five SVGs inline in the HTML (aggregate, spread, against clients, the repeated cell odd.bin x1, test 2 over time)"
	ok "graphs: over-time-2.png (test 2's connections over time)" is_png "$R/graphs/over-time-2.png"
	file_like "$R/report.md" '^!\[Test 2: MB/s of each connection over time \(samples every 0\.00067 s\)\]\(graphs/over-time-2\.png\)$' \
	    "graphs: report.md shows it in test 2's section"
	is "$(tr '\t\n' ' |' <"$R/graphs/over-time-2.dat")" \
	    "0.000120 588.235294|0.000800 571.428571|0.001500 400.006|0.002000 400.006|||0.000150 538.461538|0.000800 714.285714|0.001500 370.377778|0.001905 370.377778|||" \
	    "graphs: over time, per connection: each interval's start and MB/s, the last one's end"
	ok "graphs: aggregate.png is a PNG" is_png "$R/graphs/aggregate.png"
	ok "graphs: spread.png is a PNG" is_png "$R/graphs/spread.png"
	file_like "$R/report.md" '^!\[[^]]*\]\(graphs/aggregate\.png\)$' "graphs: report.md shows the PNGs"
	is "$(grep -o "id='[a-z]*-gpPt5'" "$H" | sort -u | wc -l)" 4 "graphs: each SVG's ids are its own"
	ok "graphs: clients.png (MB/s against 1, 2 and 3 clients)" is_png "$R/graphs/clients.png"
	file_like "$R/report.md" '^No UDP loss graph: no datagram was lost or re-sent\.$' \
	    "graphs: no empty UDP loss frame where nothing was lost"
	ok "graphs: the tie's UDP test lost and re-sent: udp-loss.png" is_png "$TR/graphs/udp-loss.png"
	file_like "$TR/report.md" '^No graph against the number of clients: ' "graphs: says why there is no graph against clients"
else
	skip 12 "gnuplot is not installed: graphs not drawn (the next check covers that case)"
fi
# Without gnuplot in PATH, the report still builds and says so.
NB=$T/nobin
mkdir -p "$NB"
# The interpreter itself (python3 in PATH may be a wrapper script).
ln -s "$(python3 -c 'import sys; print(sys.executable)')" "$NB/python3"
PATH=$NB "$FR" -o "$T/nognuplot" "${LAB[@]}" >"$T/nognuplot.out" 2>&1
is "$?" 0 "without gnuplot: exits 0"
file_like "$T/nognuplot/report.md" '^Graphs skipped: gnuplot is not installed' "without gnuplot: the report says graphs were skipped"
is "$(grep -c '<svg' "$T/nognuplot/report.html")" 0 "without gnuplot: no graph in the HTML"

# --pdf: headless Chromium prints the page, a test per page.
browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome)
if [ -n "$browser" ]; then
	timeout 300 "$FR" --pdf -o "$T/pdf" "${LAB[@]}" >"$T/pdf.out" 2>&1
	is "$?" 0 "--pdf: exits 0 ($browser)"
	is "$(head -c 5 "$T/pdf/report.pdf" 2>/dev/null)" "%PDF-" "--pdf: report.pdf is a PDF"
	pages=$(python3 -c 'import re, sys; print(len(re.findall(rb"/Type\s*/Page\b", open(sys.argv[1], "rb").read())))' \
	    "$T/pdf/report.pdf" 2>/dev/null)
	ok "--pdf: $pages pages: the first, then one at least per test (6) and the pairing section" \
	    test "${pages:-0}" -ge 8
	# The PDF's first page as an image, as the closing note shows it.
	if command -v pdftoppm >/dev/null 2>&1; then
		timeout 60 pdftoppm -f 1 -l 1 -r 60 -png "$T/pdf/report.pdf" "$T/page1" 2>"$T/pdftoppm.err"
		p1=$(ls "$T"/page1*.png 2>/dev/null | head -n 1)
		dims=$(python3 -c 'import struct, sys; d = open(sys.argv[1], "rb").read(24); print(*struct.unpack(">II", d[16:24]))' "${p1:-/dev/null}" 2>/dev/null)
		read -r pw ph <<<"${dims:-0 0}"
		psize=$(stat -c %s "${p1:-/dev/null}" 2>/dev/null || echo 0)
		ok "pdftoppm: the PDF's first page is a PNG of an A4 page (${pw}x${ph} px at 60 dpi, $psize bytes)" \
		    eval 'is_png "$p1" && [ "$pw" -ge 480 ] && [ "$pw" -le 520 ] && [ "$ph" -ge 680 ] && [ "$ph" -le 720 ] && [ "$psize" -gt 10000 ]'
	else
		skip "no pdftoppm (apt-get install poppler-utils) to turn the PDF's first page into an image"
	fi
	# The page as a browser shows it (the graphs are inline SVG).
	sandbox=()
	[ "$(id -u)" = 0 ] && sandbox=(--no-sandbox)
	timeout -k 5 120 "$browser" --headless "${sandbox[@]}" --disable-gpu --hide-scrollbars \
	    --user-data-dir="$T/chromium" --window-size=1200,1800 --screenshot="$T/page.png" \
	    "file://$R/report.html" >"$T/screenshot.out" 2>&1
	png=$(stat -c %s "$T/page.png" 2>/dev/null || echo 0)
	ok "screenshot of report.html: a PNG of sensible size ($png bytes)" \
	    eval 'is_png "$T/page.png" && [ "$png" -gt 30000 ] && [ "$png" -lt 10000000 ]'
else
	skip 5 "no headless chromium for --pdf and the screenshot"
fi
PATH=$NB "$FR" --pdf -o "$T/nopdf" "${LAB[@]}" >"$T/nopdf.out" 2>&1
is "$?" 1 "--pdf without a browser: exit status 1"
file_like "$T/nopdf.out" '^ft-report: --pdf: no headless browser .* is installed; the other files are written' \
    "--pdf without a browser: says so"
ok "--pdf without a browser: report.html is still written" test -s "$T/nopdf/report.html"

# ---------------------------------------------------------------- captures

# perf-matrix --capture's tshark summaries (t/fixtures/report/capture,
# matched to the tie's tests by run id): a section per captured test.
CR=$T/cap
"$FR" -o "$CR" "$FIX/tie" "$FIX/capture" >"$T/cap.out" 2>&1
is "$?" 0 "captures: ft-report exits 0"
CS=$CR/summary.json
is "$(js "$CS" "[len(t['capture']['conversations']) for t in s['tests']]")" "[2, 3]" \
    "captures: each test has its capture's conversations (matched by run id)"
is "$(js "$CS" "sorted(s['tests'][0]['capture']['retransmissions'].items())")" \
    "[('duplicate_ack', 4), ('fast_retransmission', 2), ('lost_segment', 1), ('retransmission', 3), ('spurious_retransmission', 1)]" \
    "captures: TCP retransmissions by kind, summed from capture-expert.tsv by name"
file_like "$CR/report.md" '^\| tcp \| 10\.0\.0\.22:40102 \| 10\.0\.0\.1:5005 \| 700 \| 1052576 \| 6 \| 402 \| 0\.000100 \| 0\.081010 \| 706 \| 12\.993161 \| 1 \| 1 \| 1 \| 0 \|$' \
    "captures: a conversation row with exact bytes each way and its retransmissions by kind"
file_like "$CR/report.md" '^TCP retransmissions by kind \(tshark -z expert\): retransmission 3, fast retransmission 2, spurious retransmission 1, previous segment not captured 1; duplicate ACKs 4\.$' \
    "captures: the test states its retransmissions by kind"
is "$(grep -c '^On loopback frames are GSO super-frames, so frame counts are not wire packets' "$CR/report.md")" 1 \
    "captures: only the loopback capture says its frames are GSO super-frames"
if command -v gnuplot >/dev/null 2>&1; then
	ok "captures: graphs/capture-1.png, the I/O graph per connection" is_png "$CR/graphs/capture-1.png"
	file_like "$CR/report.md" '^!\[Test 2: throughput per connection from the capture \(MB/s to the client, 50 ms bins\)\]\(graphs/capture-2\.png\)$' \
	    "captures: report.md shows each test's I/O graph with its bin"
	is "$(grep -o '<svg' "$CR/report.html" | wc -l)" "$(find "$CR/graphs" -name '*.svg' | wc -l)" \
	    "captures: every graph inline in the HTML, the I/O graphs too"
	is "$(grep -c $'^10.0.0.22:40102\t' "$FIX/capture/tcp-same.bin-c2/capture-io.tsv"):$(awk 'NF == 0 { b++ } END { print b }' "$CR/graphs/capture-1.dat")" \
	    "2:4" "captures: one series per connection in the graph's data"
else
	skip 4 "gnuplot is not installed: no I/O graph"
fi
"$FR" -o "$T/cap-es" --lang es "$FIX/tie" "$FIX/capture" >"$T/cap-es.out" 2>&1
file_like "$T/cap-es/report.md" '^Retransmisiones TCP por tipo \(tshark -z expert\): retransmisión 3, ' \
    "captures: --lang es"

# ---------------------------------------------------------------- misuse

"$FR" "${LAB[@]}" >"$T/m1.out" 2>&1
is "$?" 2 "no -o: exit status 2"
mkdir -p "$T/empty"
"$FR" -o "$T/m2" "$T/empty" >"$T/m2.out" 2>&1
is "$?" 1 "a folder without logs: exit status 1"
file_like "$T/m2.out" 'no ft log' "...saying no log was found"

fi	# the fixture parts, plain pass only

# ---------------------------------------------------------------- real logs

# The real programs, TCP then UDP, a test of 2 each: the server's and the
# client's log folders, given apart, pair row for row.
start_server -p 4
client tcp -c 2 -y -f odd.bin -o "$T/tcp-out" -L "$T/client-logs"
is "$CLIENT_RC" 0 "real: TCP run of 2 exits 0"
wait_server_logs 1
stop_server
start_server -u -p 4
client udp -u -c 2 -y -f odd.bin -o "$T/udp-out" -L "$T/client-logs"
is "$CLIENT_RC" 0 "real: UDP run of 2 exits 0"
wait_server_logs 1
stop_server
"$FR" -o "$T/real" "$T/server1-logs" "$T/server2-logs" "$T/client-logs" >"$T/real.out" 2>&1
is "$?" 0 "real: ft-report exits 0"
RS=$T/real/summary.json
is "$(js "$RS" "[s['pairing'][k] for k in ('client_rows', 'server_rows', 'paired', 'unpaired_client_rows', 'unpaired_server_rows')]")" \
    "[4, 4, 4, 0, 0]" "real: every row pairs (4 of 4)"
is "$(js "$RS" "[(t['proto'], t['verified'], t['failed']) for t in s['tests']]")" "[('tcp', 2, 0), ('udp', 2, 0)]" \
    "real: a TCP and a UDP test, every transfer verified"
is "$(js "$RS" "[(t['samples']['connections'], t['samples']['intervals'] >= 2) for t in s['tests']]")" \
    "[(2, True), (2, True)]" "real: ftclient's samples (default -i) paired with both tests"
if command -v gnuplot >/dev/null 2>&1; then
	ok "real: a graph over time per test" eval 'is_png "$T/real/graphs/over-time-1.png" && is_png "$T/real/graphs/over-time-2.png"'
else
	skip 1 "gnuplot is not installed"
fi
is "$(js "$RS" "[c['file'] + ' x' + str(c['clients']) + ' ' + c['faster'] for c in s['comparisons']][0].rsplit(' ', 1)[0]")" \
    "odd.bin x2" "real: TCP vs UDP compared"

done_testing
