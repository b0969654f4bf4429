#!/usr/bin/env bash
# bench.sh: what `make bench` prints (run after `make all files`): one
# ftserver on a free loopback port and ftclient runs of files/250MB.bin with
# 1, 10 and 25 connections, every copy verified by SHA-256, in a table:
#   wall s          the client's own measure: first byte received -> every
#                   connection verified and confirmed (its summary line)
#   proc s          the whole ftclient process (connect, handshake, ...),
#                   from GNU time, when /usr/bin/time is there
#   aggr MB/s       bytes of all copies / wall s (MB = 10^6 bytes)
#   per-client      min / median / max of the mb_per_s column of the
#                   client log's TSV (SPEC.md timing rules)
#   worker RSS      highest VmHWM of the server's workers during that run
#                   (their peaks are reset before each run)
#   client RSS      ftclient's peak RSS (GNU time %M)
#   lost / re-sent  UDP: datagrams the clients lost / the server re-sent
# for TCP, then UDP reliable, then UDP raw (a server per protocol), the
# loopback ceiling that iperf3 measures, when it is installed, and the
# receive path's reference: nginx + 10 curl + sha256sum of the same file,
# against ftclient -c 10's whole process (target: at least 6 x faster).
# Then, as root (network namespaces), the same over a veth pair with a
# 1500-byte MTU, where per-packet costs show (loopback's 64 KiB MTU hides
# them): files/100MB.bin, 1 and 10 clients, TCP, UDP reliable, UDP raw;
# targets: UDP at least as fast as TCP in the same run, raw without loss.
# One warm-up run goes first: the server hashes the file once (cached) and
# the file lands in the page cache. Received files and logs go to a
# temporary folder removed at the end. The figures are informative: the
# exit status is 0 unless a transfer failed.
#
# Environment: FT_BENCH_FILE (250MB.bin), FT_BENCH_RUNS ("1 10 25"),
# FT_BENCH_PROTOS ("tcp reliable raw"), FT_BENCH_VETH_FILE (100MB.bin;
# "none" skips the veth table), FT_BENCH_VETH_RUNS ("1 10"),
# TMPDIR (where the temporary folder goes; unset: /dev/shm when it is a
# tmpfs with room for the largest run's copies, else /tmp. On a disk the
# copies' writeback and the client's fsync before publishing dominate:
# the rows would measure the disk, not ft).
# The table's printf format is this script's own ROW:
# shellcheck disable=SC2059
set -euo pipefail

cd "$(dirname "$0")/.."
# shellcheck source=contrib/stop.sh
. contrib/stop.sh
SERVER=server/ftserver
CLIENT=client/ftclient
FILE=${FT_BENCH_FILE:-250MB.bin}
RUNS=${FT_BENCH_RUNS:-1 10 25}
PROTOS=${FT_BENCH_PROTOS:-tcp reliable raw}
SERVER_ARGS=()		# per protocol: -u -m MODE
CLIENT_ARGS=()		# per protocol: -u
PROTO=tcp
TCP_WALL_10=""		# the UDP reliable target is 1.5 x this
declare -A TCP_WALL=()	# per client count: the veth table's UDP targets
HOST=127.0.0.1		# the server's address (the veth table: its namespace's)
SERVER_IN=()		# the veth table: ip netns exec NS, per side
CLIENT_IN=()
VETH=""			# set while the veth table runs
NS_MADE=()
WORKERS=25
CLIENT_LIMIT_S=300	# one client run, at most
GNU_TIME=/usr/bin/time

server_pid=""
iperf_pid=""
nginx_pid=""
TCP_PROC_10=""		# ftclient -c 10 over TCP, the whole process (s)
# Room for the largest run's copies, in KiB (one run's are removed
# before the next), plus a quarter for the logs and the slack.
room_kib() {
	local size max=1 n
	size=$(stat -c %s "files/$FILE" 2>/dev/null || echo 0)
	for n in $RUNS; do ((n > max)) && max=$n; done
	echo $((size * max * 5 / 4 / 1024))
}
bench_tmpdir() {
	[[ -n ${TMPDIR:-} ]] && { echo "$TMPDIR"; return; }
	if [[ $(stat -f -c %T /dev/shm 2>/dev/null) == tmpfs && -w /dev/shm ]] &&
	    (($(df -k --output=avail /dev/shm | tail -n 1) > $(room_kib))); then
		echo /dev/shm
	else
		echo /tmp
	fi
}
tmp=$(mktemp -d "$(bench_tmpdir)/ft-bench.XXXXXX")
failed=0
runs_done=0



# shellcheck disable=SC2317  # reached through the traps below
cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	[[ -z $iperf_pid ]] || stop_pid "$iperf_pid" || true
	[[ -z $server_pid ]] || stop_pid "$server_pid" || true
	[[ -z $nginx_pid ]] || stop_pid "$nginx_pid" || true
	for ns in "${NS_MADE[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
	rm -rf "$tmp"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A TCP port nobody listens on (ss from iproute2; without it, a guess).
free_port() {
	local i p
	for ((i = 0; i < 20; i++)); do
		p=$((20000 + RANDOM % 30000))
		if ! command -v ss >/dev/null ||
		    [[ -z $(ss -Htln "sport = :$p" 2>/dev/null) ]]; then
			echo "$p"
			return 0
		fi
	done
	echo 45201
}

# The loopback ceiling: one iperf3 TCP stream on 127.0.0.1 for 3 s, as
# MB/s (10^6 bytes), or a reason it is not there.
iperf_ceiling() {
	local port out mbits i
	if ! command -v iperf3 >/dev/null; then
		echo "n/a (iperf3 is not installed: contrib/deps.sh bench)"
		return
	fi
	port=$(free_port)
	timeout 20 iperf3 -s -1 -B 127.0.0.1 -p "$port" >"$tmp/iperf-s.out" 2>&1 &
	iperf_pid=$!
	out=""
	for ((i = 0; i < 10; i++)); do	# the server needs a moment to listen
		sleep 0.1
		if out=$(timeout 15 iperf3 -c 127.0.0.1 -p "$port" -t 3 -f m \
		    2>&1); then
			break
		fi
		out=""
	done
	stop_pid "$iperf_pid" || true
	iperf_pid=""
	mbits=$(awk '/receiver/ { for (i = 2; i <= NF; i++)
	    if ($i == "Mbits/sec") v = $(i - 1) } END { print v }' <<<"$out")
	if [[ -n $mbits ]]; then
		awk -v m="$mbits" 'BEGIN { printf "%.1f MB/s (%.1f Gbit/s)", m / 8,
		    m / 1000 }'
	else
		echo "n/a (iperf3 failed)"
	fi
}

start_server() {
	local i
	"${SERVER_IN[@]}" "$SERVER" -p "$WORKERS" -P 0 -b "$HOST" -f "$FILE" \
	    -L "$tmp/server-logs" \
	    "${SERVER_ARGS[@]}" </dev/null >"$tmp/server.out" 2>&1 &
	server_pid=$!
	for ((i = 0; i < 100; i++)); do
		grep -q 'listening on' "$tmp/server.out" && break
		kill -0 "$server_pid" 2>/dev/null || break
		sleep 0.1
	done
	port=$(sed -n 's/.*listening on [^ ]*:\([0-9][0-9]*\) .*/\1/p' \
	    "$tmp/server.out" | head -n 1)
	if [[ -z $port ]]; then
		cat "$tmp/server.out" >&2
		echo "bench: the server did not start" >&2
		exit 1
	fi
}

# Forgets the workers' peak RSS (clear_refs 5 resets VmHWM) so the next
# reading belongs to the next run. Best effort: if the kernel refuses,
# the peak is since the worker started.
reset_worker_peaks() {
	local w
	for w in $(pgrep -P "$server_pid" || true); do
		echo 5 >"/proc/$w/clear_refs" 2>/dev/null || true
	done
}

# The highest VmHWM of the workers, in KiB.
worker_peak_kib() {
	local w kib max=0
	for w in $(pgrep -P "$server_pid" || true); do
		kib=$(awk '/^VmHWM:/ { print $2 }' "/proc/$w/status" 2>/dev/null || true)
		[[ -n $kib ]] && ((kib > max)) && max=$kib
	done
	echo "$max"
}

# Tests the server has logged so far.
server_tests() {
	grep -c '^ftserver: test done' "$tmp/server.out" || true
}

# Waits (bounded) until the server has logged more than n tests: its
# workers are idle again by then.
wait_server_log() {
	local n=$1 i
	for ((i = 0; i < 100; i++)); do
		(($(server_tests) > n)) && return 0
		sleep 0.1
	done
	return 1
}

# min median max of column mb_per_s, and "ok/total" from a client TSV.
tsv_stats() {
	awk -F '\t' '
	NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
	{ r[n++] = $col["mb_per_s"] + 0; ok += $col["ok"] == "yes" }
	END {
		if (n == 0) { print "- - - 0/0"; exit }
		for (i = 1; i < n; i++)	# insertion sort: n is small
			for (j = i; j > 0 && r[j - 1] > r[j]; j--) {
				t = r[j]; r[j] = r[j - 1]; r[j - 1] = t
			}
		med = n % 2 ? r[(n - 1) / 2] : (r[n / 2 - 1] + r[n / 2]) / 2
		printf "%.1f %.1f %.1f %d/%d\n", r[0], med, r[n - 1], ok, n
	}' "$1"
}

# One client run of n connections; prints one table row, or with
# "warmup" nothing but a line.
run_clients() {
	local n=$1 label=${2:-} rc=0 timecmd=() line dir
	local wall aggr stats tsv peak_w rss_c proc_s verified cmin cmed cmax
	local logged
	runs_done=$((runs_done + 1))	# a folder per run, repeats included
	dir="$tmp/run-$runs_done-$PROTO-$n${label:+-$label}"
	mkdir -p "$dir/recv" "$dir/logs"
	[[ -x $GNU_TIME ]] && timecmd=("$GNU_TIME" -f '%M %e' -o "$dir/time")
	reset_worker_peaks
	logged=$(server_tests)
	timeout -k 5 "$CLIENT_LIMIT_S" "${timecmd[@]}" "${CLIENT_IN[@]}" \
	    "$CLIENT" -H "$HOST" -c "$n" -y \
	    -P "$port" -f "$FILE" -o "$dir/recv" -L "$dir/logs" \
	    "${CLIENT_ARGS[@]}" >"$dir/client.out" 2>&1 || rc=$?
	((rc != 0)) || wait_server_log "$logged" || true
	peak_w=$(worker_peak_kib)
	rm -rf "$dir/recv"	# up to 25 x 250 MB: gone before the next run
	if ((rc != 0)); then
		failed=1
		echo "bench: $n client(s)${label:+ ($label)}: ftclient exited with status $rc:" >&2
		grep -v '^client [0-9]*: [a-z]*$' "$dir/client.out" | tail -n 15 >&2
	fi
	[[ $label == warmup ]] && return 0

	line=$(grep ' transfers verified; ' "$dir/client.out" | tail -n 1 || true)
	wall=$(sed -n 's/.* MB in \([0-9.]*\) s .*/\1/p' <<<"$line")
	aggr=$(sed -n 's/.*s (\([0-9.]*\) MB\/s aggregate).*/\1/p' <<<"$line")
	tsv=$(find "$dir/logs" -name '*-client-*-log*.tsv' | head -n 1)
	if [[ -n $tsv ]]; then
		stats=$(tsv_stats "$tsv")
	else
		stats="- - - 0/$n"
	fi
	read -r cmin cmed cmax verified <<<"$stats"
	rss_c="n/a" proc_s="n/a"
	if [[ -s $dir/time ]]; then
		read -r rss_c proc_s < <(tail -n 1 "$dir/time")
		rss_c=$(awk -v k="$rss_c" 'BEGIN { printf "%.1f", k / 1024 }')
	fi
	[[ -z $VETH && $PROTO == tcp && $n == 10 ]] && TCP_WALL_10=$wall
	[[ -n $VETH && $PROTO == tcp ]] && TCP_WALL[$n]=$wall
	[[ -z $VETH && $PROTO == tcp && $n == 10 ]] && TCP_PROC_10=$proc_s
	print_row "$n" "$verified" "${wall:--}" "$proc_s" "${aggr:--}" \
	    "$cmin" "$cmed" "$cmax" \
	    "$(awk -v k="$peak_w" 'BEGIN { printf "%.1f", k / 1024 }')" "$rss_c" \
	    "$(udp_loss "$tsv" "$(newest_server_tsv)")"
}

newest_server_tsv() {
	find "$tmp/server-logs" -name '*-server-*-log*.tsv' -printf '%T@ %p\n' \
	    2>/dev/null | sort -n | tail -n 1 | cut -d' ' -f2-
}

# "lost / re-sent": the clients' datagrams_lost against all datagrams
# they needed (as a percentage) and the server's datagrams_resent.
udp_loss() {
	[[ $PROTO == tcp || -z $1 ]] && { echo "-"; return; }
	awk -F '\t' '
	FNR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
	FILENAME == ARGV[1] { d = $col["datagram_size"]; lost += $col["datagrams_lost"]
	    need += d ? int(($col["size"] + d - 1) / d) : 0 }
	FILENAME == ARGV[2] { resent += $col["datagrams_resent"] }
	END { printf "%d (%.2f%%) / %d\n", lost, need ? 100 * lost / need : 0,
	    resent }' "$1" "${2:-/dev/null}"
}

# "ok" or "over" for value <= limit; "-" when either is unknown.
verdict() {
	awk -v v="$1" -v l="$2" 'BEGIN {
		if (v !~ /^[0-9.]+$/ || l !~ /^[0-9.]+$/) print "-"
		else print (v + 0 <= l + 0) ? "ok" : "over" }'
}

ROW='%-8s %7s %8s  %-18s %6s %9s  %-23s  %-14s %-17s %s\n'
print_header() {
	printf "$ROW" proto clients verified "wall s (target)" "proc s" \
	    "aggr MB/s" "per client MB/s" "worker RSS MiB" "client RSS MiB" \
	    "UDP lost / re-sent"
	printf "$ROW" "" "" "" "" "" "" "min / median / max" "(target)" \
	    "(target)" ""
}

# value and its target side by side: "0.274 (<=0.5 ok)".
with_target() {
	if [[ $2 == - ]]; then
		echo "$1"
	else
		echo "$1 (<=$2 $(verdict "$1" "$2"))"
	fi
}

print_row() {
	local n=$1 verified=$2 wall=$3 proc=$4 aggr=$5 mn=$6 md=$7 mx=$8
	local wrss=$9 crss=${10} loss=${11} wt=-
	case ${VETH:+veth-}$PROTO-$n in
	veth-tcp-*) ;;
	veth-*) wt=${TCP_WALL[$n]:--} ;;
	tcp-1 | reliable-1) wt=0.5 ;;
	tcp-10) wt=3 ;;
	reliable-10) [[ -n $TCP_WALL_10 ]] &&
	    wt=$(awk -v t="$TCP_WALL_10" 'BEGIN { printf "%.2f", 1.5 * t }') ;;
	esac
	[[ -n $VETH && $PROTO == raw ]] && loss+=" (target 0 lost)"
	printf "$ROW" "$PROTO" "$n" "$verified" "$(with_target "$wall" "$wt")" \
	    "$proc" "$aggr" "$mn / $md / $mx" "$(with_target "$wrss" 8)" \
	    "$(with_target "$crss" $((16 + 4 * n)))" "$loss"
}

# The reference for the receive path: nginx serving files/ on loopback,
# 10 curl downloads at once into the same kind of folder, each followed
# by sha256sum of what it wrote (what a user without ft would do), timed
# from the first start to the last checksum. Prints the seconds, or n/a.
nginx_reference() {
	local n=$1 conf=$tmp/nginx port i t0 t1 want bad=0
	if ! command -v nginx >/dev/null && [[ ! -x /usr/sbin/nginx ]] ||
	    ! command -v curl >/dev/null; then
		echo "n/a (nginx or curl missing: apt-get install nginx-light curl)"
		return
	fi
	port=$(free_port)
	mkdir -p "$conf/logs" "$tmp/ngx"
	cat >"$conf/nginx.conf" <<-EOF
	worker_processes 2;
	daemon off;
	pid $conf/nginx.pid;
	error_log $conf/error.log;
	events { worker_connections 256; }
	http {
		access_log off;
		sendfile on;
		tcp_nopush on;
		server { listen 127.0.0.1:$port; root $PWD/files; }
	}
	EOF
	PATH=$PATH:/usr/sbin nginx -p "$conf" -c "$conf/nginx.conf" \
	    >"$conf/out" 2>&1 &
	nginx_pid=$!
	for ((i = 0; i < 50; i++)); do
		curl -sf -o /dev/null "http://127.0.0.1:$port/$FILE" && break
		sleep 0.1
	done
	want=$(sha256sum "files/$FILE" | cut -d' ' -f1)
	t0=$(date +%s.%N)
	for ((i = 1; i <= n; i++)); do
		( curl -sf -o "$tmp/ngx/$i" "http://127.0.0.1:$port/$FILE" &&
		    sha256sum "$tmp/ngx/$i" >"$tmp/ngx/$i.sum" ) &
	done
	# One pid per word: the downloads, not nginx.
	# shellcheck disable=SC2046
	wait $(jobs -p | grep -v "^$nginx_pid\$") 2>/dev/null || true
	t1=$(date +%s.%N)
	for ((i = 1; i <= n; i++)); do
		[[ $(cut -d' ' -f1 "$tmp/ngx/$i.sum" 2>/dev/null) == "$want" ]] ||
		    bad=$((bad + 1))
	done
	rm -rf "$tmp/ngx"
	stop_pid "$nginx_pid" || true
	nginx_pid=""
	if ((bad > 0)); then
		echo "n/a ($bad of $n downloads did not verify)"
	else
		awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }'
	fi
}

# One server per protocol, each warmed up first (it hashes the file once;
# the file enters the page cache).
run_table() {
	for PROTO in $PROTOS; do
		case $PROTO in
		tcp) SERVER_ARGS=() CLIENT_ARGS=() ;;
		*) SERVER_ARGS=(-u -m "$PROTO") CLIENT_ARGS=(-u) ;;
		esac
		start_server
		run_clients 1 warmup
		for n in $RUNS; do
			run_clients "$n"
		done
		stop_pid "$server_pid" || true
		server_pid=""
	done
}

# The veth table's namespaces: the server's (198.18.0.1) and the
# clients' (198.18.0.2), joined by a veth pair (MTU 1500). VETH_WHY says
# why not.
VETH_WHY=""
veth_up() {
	local a=ftbench-$$-a b=ftbench-$$-b
	[[ $(id -u) == 0 ]] || { VETH_WHY="needs root (network namespaces)"; return 1; }
	command -v ip >/dev/null || { VETH_WHY="no ip(8)"; return 1; }
	ip netns add "$a" 2>/dev/null && NS_MADE+=("$a") &&
	    ip netns add "$b" 2>/dev/null && NS_MADE+=("$b") &&
	    ip link add ftbva$$ netns "$a" type veth peer name ftbvb$$ netns "$b" &&
	    ip -n "$a" addr add 198.18.0.1/24 dev ftbva$$ &&
	    ip -n "$b" addr add 198.18.0.2/24 dev ftbvb$$ &&
	    ip -n "$a" link set ftbva$$ up && ip -n "$b" link set ftbvb$$ up &&
	    ip -n "$a" link set lo up && ip -n "$b" link set lo up ||
	    { VETH_WHY="cannot set up the namespaces"; return 1; }
	SERVER_IN=(ip netns exec "$a") CLIENT_IN=(ip netns exec "$b")
	HOST=198.18.0.1
}

for f in "$SERVER" "$CLIENT"; do
	[[ -x $f ]] || { echo "bench: $f is missing: run 'make all'" >&2; exit 1; }
done
[[ -f files/$FILE ]] ||
    { echo "bench: files/$FILE is missing: run 'make files'" >&2; exit 1; }
# iperf3 and GNU time are optional: without them, those columns say n/a.
contrib/deps.sh bench ||
    echo "bench: going on without the optional tools" >&2

size=$(stat -c %s "files/$FILE")
echo "ft bench: files/$FILE ($size bytes) on 127.0.0.1 ($PROTOS); $(nproc) CPUs; $(uname -sr)"
echo "received files and logs go to $tmp (removed at the end)"
echo "loopback ceiling (iperf3, 1 TCP stream, 3 s): $(iperf_ceiling)"
[[ -x $GNU_TIME ]] ||
    echo "GNU time is not installed ($GNU_TIME): client RSS is n/a"
echo
print_header
run_table
ref=$(nginx_reference 10)
echo
echo "receive path: 10 x $FILE, nginx + curl + sha256sum: $ref s;" \
    "ftclient -c 10 (TCP, whole process): ${TCP_PROC_10:-n/a} s" \
    "$(awk -v r="$ref" -v f="$TCP_PROC_10" 'BEGIN { if (r ~ /^[0-9.]+$/ &&
    f ~ /^[0-9.]+$/ && f > 0) printf "(%.1f x faster; target >= 6 x)", r / f }')"
echo
echo "wall s: first byte received -> every copy verified and confirmed (ftclient's"
echo "  summary); proc s: the whole ftclient process (GNU time); MB = 10^6 bytes;"
echo "  per client: the client log's mb_per_s (first byte -> confirmation sent)"
echo "targets (2-core machine): 1 x 250 MiB <= 0.5 s (TCP and UDP reliable),"
echo "  10 x 250 MiB <= 3 s (TCP), UDP reliable 10 x 250 MiB <= 1.5 x TCP's time,"
echo "  UDP raw under 1% loss, worker RSS <= 8 MiB, client RSS <= 16 MiB + 4 MiB"
echo "  per connection"

VETH_FILE=${FT_BENCH_VETH_FILE:-100MB.bin}
if [[ $VETH_FILE != none ]]; then
	echo
	if [[ ! -f files/$VETH_FILE ]]; then
		echo "veth table: skipped (files/$VETH_FILE is missing: make files)"
	elif ! veth_up; then
		echo "veth table: skipped ($VETH_WHY)"
	else
		VETH=1 FILE=$VETH_FILE RUNS=${FT_BENCH_VETH_RUNS:-1 10}
		echo "veth pair, MTU 1500, network namespaces: files/$FILE (targets: UDP wall"
		echo "  <= TCP's in this table, for the same clients; raw without loss)"
		print_header
		run_table
	fi
fi
if ((failed)); then
	echo "bench: a transfer FAILED (see above)"
	exit 1
fi
echo "bench: every transfer verified"
