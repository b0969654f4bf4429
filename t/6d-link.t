#!/bin/bash
# 6d-link.t: perf-matrix --link's emulated links (contrib/perf/link.sh),
# calibrated (issue 11). lan1g: the run measures the link's ceiling with
# iperf3 (TCP and UDP rows in data/ceilings.tsv), and ft's TCP aggregate
# over the same link in the same run is at least 90 % of iperf3's TCP
# ceiling: a ratio of two figures measured together, not a speed (and
# iperf3 gets at least half the nominal rate: the link model); the
# report shows the ceiling, the conditions the offloads, qdiscs and
# congestion control. wan20: through the router namespace, ping's RTT is
# 18-40 ms (netem, or contrib/delayline/ftdelay where the kernel has no
# netem), ft's TCP and reliable UDP transfers over it verify, and UDP's
# rate is at least a quarter of TCP's in the same run (a ratio: reliable
# UDP once got a twentieth, its window shrunk to 8 datagrams by reports
# it took for round trips, issue 9; it now gets about TCP's rate, but
# about one run in eight less than half: a GSO send's own 5 ms at the
# shaper read as a queue ends its slow start early, see the README's
# "Pacing and repair"); ftdelay's misuse exit and
# its clean ends (-T, SIGTERM) with counters. Needs root, tbf, iperf3
# (skipped, saying which, otherwise). Only the tooling is under test, so
# the sanitizer pass skips it (t/60 runs perf-matrix with the -asan
# binaries).
# shellcheck source=t/lib.sh
. "$(dirname "$0")/lib.sh"

if [ -n "$FT_SUFFIX" ]; then
	echo "1..0 # SKIP the emulated links and their calibration are tooling (bash, iperf3, Python): no sanitizer pass"
	exit 0
fi
have() { command -v "$1" >/dev/null 2>&1; }
if [ "$(id -u)" != 0 ]; then
	echo "1..0 # SKIP --link needs root (network namespaces, tc, nftables)"
	exit 0
fi
for tool in ip tc nft ethtool iperf3 python3 gnuplot; do
	if ! have "$tool"; then
		echo "1..0 # SKIP $tool is not installed (apt-get install iproute2 nftables ethtool iperf3 python3 gnuplot-nox)"
		exit 0
	fi
done
# tbf, tried in a scratch namespace
probe=ft6d-$$-probe
if ! ip netns add "$probe" 2>/dev/null; then
	echo "1..0 # SKIP cannot create a network namespace"
	exit 0
fi
tbf_ok=0
ip -n "$probe" link add p0 type veth peer name p1 2>/dev/null &&
    ip netns exec "$probe" tc qdisc add dev p0 root tbf rate 1gbit burst 128kb latency 20ms 2>/dev/null &&
    tbf_ok=1
ip netns del "$probe"
if [ "$tbf_ok" != 1 ]; then
	echo "1..0 # SKIP this kernel has no veth or tc tbf"
	exit 0
fi

PM=$ROOT/contrib/perf-matrix
export FTSERVER=$SERVER_BIN FTCLIENT=$CLIENT_BIN
export FT_NO_PDF=1	# t/6b and t/60 check the PDF
F=$T/files
mkdir -p "$F"
head -c 50000000 /dev/urandom >"$F/50MB.bin"
head -c 8000000 /dev/urandom >"$F/8MB.bin"

# col FILE PROTOCOL COLUMN: a column of ceilings.tsv's row for PROTOCOL, by name.
col() {
	awk -F'\t' -v p="$2" -v c="$3" 'NR == 1 { for (i = 1; i <= NF; i++) k[$i] = i; next }
	    $k["protocol"] == p { print $k[c]; exit }' "$1"
}
# cond_of DIR ITEM: the value of ITEM in DIR's data/conditions.tsv.
cond_of() { awk -F'\t' -v i="$2" '$1 == i { print $2; exit }' "$1/data/conditions.tsv"; }
ns_left() { ip netns list | grep -c "^$1-" ; }

# ---------------------------------------------------------------- lan1g

L=$T/lan1g
FT_CALIBRATE_SECONDS=1 timeout -k 5 90 "$PM" -o "$L" -c 1 -t tcp -f 50MB.bin -d "$F" \
    --link lan1g >"$T/lan1g.out" 2>&1
rc=$?
is "$rc" 0 "--link lan1g: exits 0"
[ "$rc" = 0 ] || sed 's/^/    /' "$T/lan1g.out" >&2
C=$L/data/ceilings.tsv
[ -s "$C" ] || abort_test "data/ceilings.tsv written"
tcp_bps=$(col "$C" tcp bits_per_second)
udp_bps=$(col "$C" udp bits_per_second)
like "$tcp_bps" '^[1-9][0-9]{6,}$' "ceilings.tsv: an iperf3 TCP row ($tcp_bps bit/s)"
like "$udp_bps" '^[1-9][0-9]{6,}$' "ceilings.tsv: an iperf3 UDP row ($udp_bps bit/s)"
# The model itself: gso_max_segs 1 (the model before) gave iperf3 a fifth
# of the link; TSO off and GSO on gives it nearly all (957 Mbit/s here).
ok "lan1g: iperf3 TCP gets at least half the nominal 1 Gbit/s (the link model works)" \
    awk -v b="${tcp_bps:-0}" 'BEGIN { exit !(b >= 5e8) }'
like "$(col "$C" udp lost_percent)" '^[0-9.e+-]+$' "ceilings.tsv: UDP's loss is stated"
is "$(col "$C" tcp tool)" iperf3 "ceilings.tsv: by iperf3"

# the first test's unrounded aggregate, from summary.json
agg=$(sed -n 's/^ *"aggregate_mb_per_s": \([0-9.e+-]*\),\{0,1\}$/\1/p' "$L/summary.json" | head -n 1)
ratio=$(awk -v a="$agg" -v b="$tcp_bps" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.4f", a * 8e6 / b }')
diag "lan1g: ft TCP ${agg:-?} MB/s, iperf3 TCP $(awk -v b="$tcp_bps" 'BEGIN { printf "%.2f", b / 8e6 }') MB/s: ratio ${ratio:-?}"
ok "lan1g: ft's TCP aggregate is >= 90 % of iperf3's TCP ceiling on the same link (${ratio:-?})" \
    awk -v r="${ratio:-0}" 'BEGIN { exit !(r >= 0.90) }'
file_like "$L/report.md" '^## Ceiling of the link$' "report: a section for the link's ceiling"
file_like "$L/report.md" '^\| 1 \| tcp \| 50MB\.bin \| 1 \| [0-9.]+ \| [0-9.]+ \| [0-9.]+ \|$' \
    "report: ft's aggregate next to the ceiling, as a percentage"
file_like "$L/graphs/aggregate.gp" "title 'iperf3 TCP ceiling'" "report: the ceiling drawn on the throughput graph"
like "$(cond_of "$L" offloads)" '^[^ ]+ \(server\): tso off, udp segmentation off, gso on, gro [a-z]+; [^ ]+ \(clients\): tso off, udp segmentation off, gso on' \
    "conditions: the offloads (TSO off, GSO on at both ends)"
like "$(cond_of "$L" qdiscs)" 'qdisc tbf .* rate 1Gbit' "conditions: the qdiscs (tc qdisc show)"
like "$(cond_of "$L" 'TCP congestion control (in the namespaces)')" '-srv [a-z0-9]+; .*-cli [a-z0-9]+$' \
    "conditions: the congestion control in the namespaces"
is "$(cond_of "$L" 'delay emulator')" "none (no delay added)" "conditions: lan1g has no delay emulator"
ns=$(cond_of "$L" link | sed -n 's/^lan1g: namespaces \(ftpm-[0-9a-f]*\)-srv .*/\1/p')
is "$(ns_left "${ns:-none}")" 0 "lan1g: its namespaces are gone"

# ---------------------------------------------------------------- wan20

netem=0 probe=ft6d-$$-netem
if ip netns add "$probe" 2>/dev/null; then
	ip -n "$probe" link add p0 type veth peer name p1 2>/dev/null &&
	    ip netns exec "$probe" tc qdisc add dev p0 root netem delay 10ms 2>/dev/null && netem=1
	ip netns del "$probe"
fi
if [ "$netem" = 0 ] && { [ ! -x "$ROOT/contrib/delayline/ftdelay" ] || ! have iptables; }; then
	skip 7 "wan20: no netem in this kernel, and no contrib/delayline/ftdelay (make delayline; libnetfilter-queue-dev) or no iptables"
elif ! have ping; then
	skip 7 "wan20: no ping (apt-get install iputils-ping)"
else
	W=$T/wan20
	FT_CALIBRATE_SECONDS=0 timeout -k 5 90 "$PM" -o "$W" -c 1 -t tcp,udp-reliable -f 8MB.bin \
	    -d "$F" --link wan20 >"$T/wan20.out" 2>&1
	rc=$?
	is "$rc" 0 "--link wan20: exits 0"
	[ "$rc" = 0 ] || sed 's/^/    /' "$T/wan20.out" >&2
	want=ftdelay
	[ "$netem" = 1 ] && want=netem
	like "$(cond_of "$W" 'delay emulator')" "^$want " "wan20: the delay is $want's, in the router"
	rtt=$(cond_of "$W" 'ping RTT through the link' | sed -n 's|^min/avg/max [0-9.]*/\([0-9.]*\)/.*|\1|p')
	ok "wan20: ping's average RTT through the router is 18-40 ms (${rtt:-none})" \
	    awk -v r="${rtt:-0}" 'BEGIN { exit !(r >= 18 && r <= 40) }'
	file_like "$W/report.md" '^- 2 of 2 transfers in 2 tests were verified by SHA-256\.$' \
	    "wan20: the ft transfers (TCP, reliable UDP) through the router verify"
	# Each protocol's client rate in results.csv, by column name.
	rates=$(python3 -c 'import csv, sys
r = {(x["proto"], x["mode"]): x["client_mb_per_s"] for x in csv.DictReader(open(sys.argv[1]))}
print(r.get(("tcp", "-"), 0), r.get(("udp", "reliable"), 0))' "$W/results.csv" 2>/dev/null)
	read -r tcp_rate udp_rate <<<"${rates:-0 0}"
	diag "wan20: ft TCP $tcp_rate MB/s, reliable UDP $udp_rate MB/s"
	ok "wan20: reliable UDP gets at least a quarter of TCP's rate in the same run ($udp_rate vs $tcp_rate MB/s)" \
	    awk -v u="$udp_rate" -v t="$tcp_rate" 'BEGIN { exit !(t > 0 && u >= t / 4) }'
	if [ "$want" = ftdelay ]; then
		like "$(grep -m 1 '^ftdelay: queued' "$W/data/ftdelay.out")" \
		    '^ftdelay: queued ([1-9][0-9]*), released \1, refused \(queue full, dropped\) 0,.* verdict errors 0$' \
		    "wan20: ftdelay released every packet it queued, refused none, no verdict failed"
	else
		pass "wan20: netem (no ftdelay counters)"
	fi
	ns=$(cond_of "$W" link | sed -n 's/^wan20: namespaces \(ftpm-[0-9a-f]*\)-srv .*/\1/p')
	is "$(ns_left "${ns:-none}")" 0 "wan20: its three namespaces are gone"
fi

# ---------------------------------------------------------------- ftdelay

# Its command line and its ends: misuse is exit 2; -T and SIGTERM end it
# cleanly (exit 0) with its counters printed. Bound to a queue in a
# namespace of its own (nothing is queued there).
FD=$ROOT/contrib/delayline/ftdelay
if [ ! -x "$FD" ]; then
	skip 6 "no contrib/delayline/ftdelay (make delayline; libnetfilter-queue-dev)"
else
	timeout -k 1 5 "$FD" -d -5 >"$T/fd-misuse.out" 2>&1
	is "$?" 2 "ftdelay -d -5: exit status 2 (misuse)"
	# Counts are whole decimal numbers: strtod took 1.5 as 1, 0x10 as 16
	# (bounded: a misuse taken as a command line would run on).
	timeout -k 1 5 "$FD" -n 1.5 >"$T/fd-misuse2.out" 2>&1
	is "$?" 2 "ftdelay -n 1.5: exit status 2 (a count is a whole number)"
	timeout -k 1 5 "$FD" -q 0x10 >"$T/fd-misuse3.out" 2>&1
	is "$?" 2 "ftdelay -q 0x10: exit status 2 (decimal digits only)"
	dns=ft6d-$$-fd
	if ip netns add "$dns" 2>/dev/null; then
		timeout -k 2 10 ip netns exec "$dns" "$FD" -T 1 >"$T/fd-T.out" 2>&1
		is "$?" 0 "ftdelay -T 1: ends by itself, exit 0"
		ip netns exec "$dns" "$FD" >"$T/fd-term.out" 2>&1 &
		fpid=$!
		wait_for 5 grep -q ': ready$' "$T/fd-term.out"
		kill -TERM "$fpid" 2>/dev/null
		wait_for 5 gone "$fpid"
		wait "$fpid"
		is "$?" 0 "ftdelay: SIGTERM ends it, exit 0"
		file_like "$T/fd-term.out" '^ftdelay: queued 0, released 0, refused \(queue full, dropped\) 0, peak 0, ENOBUFS 0' \
		    "ftdelay: prints its counters as it ends"
		ip netns del "$dns"
	else
		skip 3 "cannot create a network namespace for ftdelay"
	fi
fi

done_testing
