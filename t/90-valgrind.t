#!/bin/bash
# 90-valgrind.t: one TCP and one UDP test (2 connections, a 256 KiB
# file) with the server (master and every worker: valgrind follows forks)
# and the client under valgrind's memcheck, plus on the TCP server the
# other paths of the master and the workers: a USR1 dump, a HUP rescan,
# the --status endpoint's answers (200, 404, 405),
# refused requests (400, 404), a worker killed and respawned (its own log
# is left out: a SIGKILL leaves no summary). Every valgrind log must say
# "ERROR SUMMARY: 0 errors" (definite leaks count as errors). Skipped
# without valgrind, and in the sanitizer pass (FT_SUFFIX set: valgrind
# and ASan do not mix). Valgrind is 20-50 times slower: the file is small
# and the waits generous, each bounded.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ops-lib.sh"

if [ -n "$FT_SUFFIX" ]; then
	echo "1..0 # SKIP valgrind runs on the plain build only (FT_SUFFIX=$FT_SUFFIX)"
	exit 0
fi
if ! command -v valgrind >/dev/null 2>&1; then
	echo "1..0 # SKIP valgrind is not installed"
	exit 0
fi

VG_OPTS="--tool=memcheck --trace-children=yes --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --num-callers=30"
# wrapper NAME BINARY: a script that runs BINARY under valgrind, a log
# per process ($T/vg-NAME.PID.log).
wrapper() {
	cat >"$T/vg-$1" <<EOF
#!/bin/sh
exec timeout -k 10 300 valgrind $VG_OPTS --log-file="$T/vg-$1.%p.log" "$2" "\$@"
EOF
	chmod +x "$T/vg-$1"
}
# The server is exec'd by start_server: no timeout(1) in between, so that
# SERVER_PID is valgrind's (the server's) own pid.
cat >"$T/vg-server" <<EOF
#!/bin/sh
exec valgrind $VG_OPTS --log-file="$T/vg-server.%p.log" "$ROOT/server/ftserver" "\$@"
EOF
chmod +x "$T/vg-server"
wrapper client "$ROOT/client/ftclient"
SERVER_BIN=$T/vg-server
CLIENT_BIN=$T/vg-client

head -c $((256 << 10)) /dev/urandom >"$CAT/256k.bin"

# vg_test TAG [-u]: one test of 2 connections under valgrind.
VG_TESTS=0
vg_test() {
	local tag=$1
	shift
	VG_TESTS=$((VG_TESTS + 1))
	client "$tag" "$@" -c 2 -y -f 256k.bin -o "$T/$tag-out" -L "$T/$tag-logs"
	is "$CLIENT_RC" 0 "$tag: ftclient ${*:+$* }-c 2 under valgrind exits 0 (99 would be a valgrind error)"
	[ "$CLIENT_RC" = 0 ] || tail -n 20 "$T/$tag.out" | sed 's/^/    /' >&2
	check_received "$T/$tag-out" 2 256k.bin
	ok "$tag: the server logs the test" wait_for 60 logged_at_least "$VG_TESTS"
}

start_server -p 2 --status "$HOST:0"
SPORT=$(sed -n 's|.*status on http://.*:\([0-9][0-9]*\)/ .*|\1|p' "$SERVER_OUT")
SURL=http://$HOST:$SPORT
vg_test tcp
# The status endpoint, in the master: each path and the refusals.
for want in /:200 /metrics:200 /status.json:200 /nope:404; do
	code=$(curl -s -m 60 -o /dev/null -w '%{http_code}' "$SURL${want%:*}" 2>/dev/null)
	is "$code" "${want#*:}" "tcp: status endpoint: GET ${want%:*}: ${want#*:}"
done
code=$(curl -s -m 60 -o /dev/null -w '%{http_code}' -X POST "$SURL/" 2>/dev/null)
is "$code" 405 "tcp: status endpoint: POST /: 405"
kill -USR1 "$SERVER_PID"
ok "tcp: USR1: a dump" wait_for 60 grep -q '^totals: 1 tests' "$SERVER_OUT"
kill -HUP "$SERVER_PID"
ok "tcp: HUP: a rescan" wait_for 60 grep -q 'catalogue rescanned' "$SERVER_ERR"
raw_open
raw_send "HELLO there"
raw_read answer 60
like "$answer" '^ERR 400 ' "tcp: a bad request gets ERR 400"
raw_close
raw_open
raw_send "GET nosuch.bin"
raw_read answer 60
like "$answer" '^ERR 404 ' "tcp: an unknown file gets ERR 404"
raw_close
# (Process titles do not show under valgrind: ask the stats dump.)
dump_idle() { dump && [ "$(dump_rows | awk '{ print $3 }' | sort -u)" = idle ]; }
ok "tcp: both workers idle again" wait_for 60 dump_idle
killed=$(slot_pid 1)
kill -KILL "$killed"
ok "tcp: a killed worker ($killed) is respawned" \
    wait_for 60 eval '[ "$(pgrep -P "$SERVER_PID" | grep -vcx "$killed")" = 2 ]'
vg_test tcp-again
kill_server
is "$SERVER_RC" 0 "tcp: the server under valgrind exits 0 after TERM (99 would be a valgrind error)"
is "$WORKERS_LEFT" "" "tcp: no worker left"

start_server -u -p 2
VG_TESTS=0
vg_test udp -u
kill_server
is "$SERVER_RC" 0 "udp: the server under valgrind exits 0 after TERM"
is "$WORKERS_LEFT" "" "udp: no worker left"

# Every process's log: master and 2 workers per server (and the killed
# one's replacement), 1 per client run.
logs=$(ls "$T"/vg-*.log 2>/dev/null | grep -v "vg-server\.$killed\.log")
is "$(echo "$logs" | grep -c 'vg-server\.')" 6 "six server logs (a master and two workers, twice; one of them the respawned one)"
is "$(echo "$logs" | grep -c 'vg-client\.')" 3 "three client logs"
for log in $logs; do
	what=$(basename "$log" .log)
	if grep -q 'ERROR SUMMARY: 0 errors' "$log"; then
		pass "$what: ERROR SUMMARY: 0 errors"
	else
		fail "$what: ERROR SUMMARY: 0 errors"
		grep -E 'ERROR SUMMARY|Process terminating|^==[0-9]+== (Invalid|Conditional|Syscall|Use of|Mismatched|Source and)|definitely lost' "$log" |
		    head -n 10 | sed 's/^/    /' >&2
	fi
done
done_testing
