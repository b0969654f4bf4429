#!/bin/bash
# 6e-hosts.t: perf-matrix over several hosts (issue 11, "Several hosts").
# Three network namespaces stand for a server host and two client hosts,
# joined by a bridge in a fourth; perf-matrix runs the server through
# --server-cmd 'ip netns exec S' and the clients through one --client-cmd
# per host, on a file made here, with 2 and 4 connections over TCP and
# reliable UDP. Checked: one report of 4 tests; each test's connections
# come from both client hosts' addresses and pair with the server's rows;
# the logs came back into data/host-NAME/; the report rebuilt by
# contrib/ft-report from those log folders alone has the same results.csv;
# no namespace and no remote folder is left behind.
# Needs root, ip netns, a bridge and veth (skipped otherwise). It tests
# the tooling (shell and Python), not the C programs' memory: the ASan
# pass skips it.
# shellcheck source=t/lib.sh
. "$(dirname "$0")/lib.sh"

if [ -n "$FT_SUFFIX" ]; then
	echo "1..0 # SKIP perf-matrix's several-hosts tooling, not the C binaries: run once, without FT_SUFFIX"
	exit 0
fi
skip_all() { echo "1..0 # SKIP $*"; exit 0; }
[ "$(id -u)" = 0 ] || skip_all "needs root for network namespaces"
for tool in ip python3 gnuplot tar; do
	command -v $tool >/dev/null 2>&1 || skip_all "no $tool"
done

PM=$ROOT/contrib/perf-matrix
export FTSERVER=$SERVER_BIN FTCLIENT=$CLIENT_BIN
NS_S=ft-$$-hs NS_1=ft-$$-hc1 NS_2=ft-$$-hc2 NS_B=ft-$$-hbr
NS_MADE=
netns_down() {
	local ns
	for ns in $NS_MADE; do ip netns del "$ns" 2>/dev/null; done
	NS_MADE=
}
trap 'cleanup; netns_down' EXIT

# The bridge namespace holds br0 and one veth end per host.
for ns in "$NS_B" "$NS_S" "$NS_1" "$NS_2"; do
	ip netns add "$ns" 2>/dev/null || skip_all "ip netns add does not work here"
	NS_MADE+=" $ns"
	ip -n "$ns" link set lo up
done
if ! ip -n "$NS_B" link add br0 type bridge 2>/dev/null || ! ip -n "$NS_B" link set br0 up; then
	skip_all "cannot create a bridge in a namespace"
fi
i=0
for ns in "$NS_S" "$NS_1" "$NS_2"; do
	i=$((i + 1))
	{ ip link add "fth$$-$i" netns "$ns" type veth peer name "ftb$$-$i" netns "$NS_B" &&
	    ip -n "$NS_B" link set "ftb$$-$i" master br0 && ip -n "$NS_B" link set "ftb$$-$i" up &&
	    ip -n "$ns" addr add "198.18.24.$i/24" dev "fth$$-$i" &&
	    ip -n "$ns" link set "fth$$-$i" up; } 2>/dev/null || skip_all "cannot create and address veth pairs"
done
pass "namespaces: server $NS_S (198.18.24.1), clients $NS_1 (.2) and $NS_2 (.3), bridged in $NS_B"
wait_for 10 ip netns exec "$NS_1" ping -c 1 -W 1 198.18.24.1 >/dev/null 2>&1 ||
    abort_test "the client hosts reach the server host"

PF=$T/perf-files
mkdir -p "$PF"
head -c 3000007 /dev/urandom >"$PF/three.bin"
R=$T/report
RD=$T/remote
t0=$(date +%s)
timeout -k 5 120 "$PM" -o "$R" -c 2,4 -f three.bin -t tcp,udp-reliable -d "$PF" \
    --server-cmd "ip netns exec $NS_S" --client-cmd "ip netns exec $NS_1" \
    --client-cmd "ip netns exec $NS_2" --server-addr 198.18.24.1 --remote-dir "$RD" \
    >"$T/pm.out" 2>&1
rc=$?
is "$rc" 0 "perf-matrix over a server host and two client hosts exits 0 ($(($(date +%s) - t0)) s)"
[ "$rc" = 0 ] || tail -n 20 "$T/pm.out" | sed 's/^/    /' >&2
[ -f "$R/summary.json" ] || abort_test "summary.json written"

js() {
	python3 -c 'import json, sys; s = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2" 2>&1
}
S=$R/summary.json
is "$(js "$S" "[(t['proto'], t['mode'], t['clients'], t['verified'], t['failed']) for t in s['tests']]")" \
    "[('tcp', '-', 2, 2, 0), ('tcp', '-', 4, 4, 0), ('udp', 'reliable', 2, 2, 0), ('udp', 'reliable', 4, 4, 0)]" \
    "one report of 4 tests (tcp and udp-reliable x 2 and 4 connections), every transfer verified"
is "$(js "$S" "[sorted({c['server_row']['client_ip'] for c in t['connections']}) for t in s['tests']]")" \
    "[['198.18.24.2', '198.18.24.3'], ['198.18.24.2', '198.18.24.3'], ['198.18.24.2', '198.18.24.3'], ['198.18.24.2', '198.18.24.3']]" \
    "each test has connections from both client hosts' addresses (the server's rows)"
is "$(js "$S" "[len(t['runs']) for t in s['tests']]")" "[2, 2, 2, 2]" \
    "each test gathered two client runs, one per host (ftserver -n)"
is "$(js "$S" "[s['pairing'][k] for k in ('client_rows', 'paired', 'unpaired_client_rows', 'unpaired_server_rows')]")" \
    "[12, 12, 0, 0]" "every client row pairs with the server's (12 of 12)"
is "$(cd "$R/data" && find . -maxdepth 1 -name 'host-*' | sort | tr '\n' ' ')" \
    "./host-$NS_1 ./host-$NS_2 ./host-$NS_S " "the logs came back into data/host-NAME/, one per host"
is "$(js "$S" "sorted({h.rsplit('/', 1)[-1] for t in s['tests'] for h in t['hosts']})")" \
    "['host-$NS_1', 'host-$NS_2', 'host-$NS_S']" "the report names the three hosts' folders"
file_like "$R/report.md" "^\\| link \\| hosts: server $NS_S \\(ip netns exec $NS_S, reached at 198\\.18\\.24\\.1\\), clients $NS_1 .*, $NS_2 " \
    "the conditions state the hosts and their prefixes"
is "$(awk -F'\t' 'NR > 1 { print $3 }' "$R/data/nstat.tsv" | sort | uniq -c | awk '{ printf "%s=%s ", $2, $1 }')" \
    "client=8 server=4 " "nstat counters per test from each host (4 tests x server + 2 clients)"

# The same report from the log folders alone.
"$ROOT/contrib/ft-report" -o "$T/again" "$R"/data/host-* >"$T/again.out" 2>&1
is "$?" 0 "contrib/ft-report on data/host-* alone exits 0"
# csv_rows FILE: results.csv without the columns that name where the logs
# were given (link: from --conditions; the logs' paths: from the LOGDIRs).
csv_rows() {
	python3 -c 'import csv, os, sys
for r in csv.DictReader(open(sys.argv[1], newline="")):
    r["client_log"], r["server_log"] = (os.path.basename(r[k]) for k in ("client_log", "server_log"))
    r.pop("link")
    print(sorted(r.items()))' "$1"
}
csv_rows "$R/results.csv" >"$T/first.rows"
csv_rows "$T/again/results.csv" >"$T/again.rows"
if cmp -s "$T/first.rows" "$T/again.rows" && [ "$(wc -l <"$T/first.rows")" = 12 ]; then
	pass "the rebuilt results.csv equals the first (12 transfers; the link column and log folders aside)"
else
	fail "the rebuilt results.csv equals the first"
	diff "$T/first.rows" "$T/again.rows" | head -n 5 | cut -c 1-300 | sed 's/^/    /' >&2
fi
is "$(find "$RD" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)" 0 "no remote folder left on the hosts"
netns_down
is "$(ip netns list | grep -c "^ft-$$-h")" 0 "the namespaces are removed"

"$PM" -o "$T/m1" -d "$PF" -f three.bin --client-cmd "ip netns exec x" >"$T/m1.out" 2>&1
is "$?" 2 "--client-cmd without --server-addr: exit status 2"
"$PM" -o "$T/m2" -d "$PF" -f three.bin --client-cmd x --server-addr 1.2.3.4 --link lan1g >"$T/m2.out" 2>&1
is "$?" 2 "--client-cmd with --link: exit status 2"

done_testing
