#!/bin/bash
# 80-soak.t: one long-running server through 200 consecutive tests of
# mixed group sizes (1 to 5 connections, small files). Its descriptors,
# memory and process count must end where they started, with no zombie:
# a leak per test, however small, would add up over weeks.
. "$(dirname "$0")/lib.sh"

ROUNDS=200

# resources PID: "fds rss_kb processes" summed over the master and its
# workers.
resources() {
	local fds=0 rss=0 n=0 p
	for p in "$1" $(pgrep -P "$1"); do
		fds=$((fds + $(ls "/proc/$p/fd" 2>/dev/null | wc -l)))
		rss=$((rss + $(awk '/^VmRSS/ { print $2 }' "/proc/$p/status")))
		n=$((n + 1))
	done
	echo "$fds $rss $n"
}

zombies() { ps -o stat= --ppid "$1" | grep -c '^Z'; }

# round I: test I of the soak; its group size and file vary with I.
round() {
	local i=$1 n=$(($1 % 5 + 1)) files=(64k.bin odd.bin one.bin 3m.bin)
	client soak -c "$n" -y -f "${files[$((i % 4))]}" -o "$T/out" \
	    -L "$T/clogs"
	[ "$CLIENT_RC" = 0 ] || { diag "round $i (-c $n) failed:"; \
	    tail -n 5 "$T/soak.out" | sed 's/^/    /' >&2; return 1; }
}

start_server -p 5
# Warm up: first use of each code path, file and shared-memory page.
for i in 1 2 3 4 5; do round "$i"; done
wait_server_logs 5
read -r fds0 rss0 procs0 <<<"$(resources "$SERVER_PID")"
diag "start: $fds0 descriptors, $rss0 KiB resident, $procs0 processes"

failed=0
for ((i = 1; i <= ROUNDS; i++)); do
	round "$i" || failed=$((failed + 1))
done
is "$failed" 0 "all $ROUNDS tests succeeded"
wait_server_logs $((ROUNDS + 5))
is "$(count_lines 'test done:' "$SERVER_OUT")" $((ROUNDS + 5)) \
    "the server logged every test"

read -r fds1 rss1 procs1 <<<"$(resources "$SERVER_PID")"
diag "end: $fds1 descriptors, $rss1 KiB resident, $procs1 processes"
is "$fds1" "$fds0" "open descriptors unchanged"
is "$procs1" "$procs0" "process count unchanged"
is "$(zombies "$SERVER_PID")" 0 "no zombie children"
if [ -n "${FT_SUFFIX:-}" ]; then
	skip "resident memory: ASan's quarantine keeps freed memory by design"
else
	# Margin: pages of the shared segment first touched by later tests.
	ok "resident memory within 10% + 1 MiB ($rss0 -> $rss1 KiB)" \
	    test "$rss1" -le $((rss0 + rss0 / 10 + 1024))
fi
stop_server
is "$SERVER_RC" 0 "graceful stop after the soak"
done_testing
