# shellcheck shell=bash
# contrib/perf/nstat.sh: the kernel's TCP and UDP counters around each
# test, sourced by contrib/perf-matrix (issue 11, "Matrix").
#
# On loopback "80 TCP retransmissions" were tail-loss probes of a
# CPU-starved host (TcpExtTCPLossProbes), not losses: the report can only
# say so if it has the counters. `nstat -asz` prints the absolute values
# (-a), zeros too (-z), without touching nstat's history file (-s), so
# runs side by side do not disturb each other; the delta is ours.
#
# data/nstat.tsv, read by column name by contrib/ft-report: one row per
# test and side (server, client or host when both share it), with the
# client runs' ids of the test (space-separated) to find its test.

# The counters kept, in this order (a kernel without one leaves it empty).
NSTAT_COUNTERS=(TcpRetransSegs TcpExtTCPLossProbes TcpExtTCPLostRetransmit
	TcpExtTCPFastRetrans TcpExtTCPSlowStartRetrans TcpExtTCPSpuriousRTOs
	TcpExtTCPTimeouts UdpInErrors UdpRcvbufErrors UdpSndbufErrors)
NSTAT_OK=0	# set by nstat_check: 1 when nstat works here

nstat_check() {
	command -v nstat >/dev/null 2>&1 && nstat -asz >/dev/null 2>&1 && NSTAT_OK=1
	((NSTAT_OK)) || echo "$PROG: note: no nstat (apt-get install iproute2): no TCP/UDP counters per test" >&2
}

# nstat_header: data/nstat.tsv's first line.
nstat_header() {
	local IFS=$'\t'
	echo "runs	test	side	host	${NSTAT_COUNTERS[*]}"
}

# nstat_snapshot PREFIX...: the counters, tab-separated in NSTAT_COUNTERS'
# order, as the host (or namespace) PREFIX runs in sees them; empty fields
# when nstat fails there.
nstat_snapshot() {
	if ((NSTAT_OK)); then
		timeout -k 2 10 "$@" nstat -asz 2>/dev/null
	fi | nstat_pick
}

# nstat_pick: nstat's output (NAME VALUE RATE lines) on standard input,
# the counters kept on standard output.
nstat_pick() {
	awk -v names="${NSTAT_COUNTERS[*]}" '
	    { v[$1] = $2 }
	    END { n = split(names, k, " ")
		for (i = 1; i <= n; i++) printf "%s%s", v[k[i]], (i < n ? "\t" : "\n") }'
}

# nstat_delta BEFORE AFTER: field-wise AFTER - BEFORE; empty when either
# is (a counter this kernel lacks, or nstat failed).
nstat_delta() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		n = split(a, x, "\t"); m = split(b, y, "\t"); if (m > n) n = m
		for (i = 1; i <= n; i++)
			printf "%s%s", (x[i] == "" || y[i] == "" ? "" : y[i] - x[i]), (i < n ? "\t" : "\n")
	}'
}
