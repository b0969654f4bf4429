#!/bin/bash
# 65-stdout-pipe.t: the server's stdout and stderr are a pipe nobody reads
# (issue 8), e.g. `ftserver | something-stuck`. Once the pipe is full (300
# stats dumps by SIGUSR1, about 40 lines each, far more than 64 KiB), the
# master and the workers must not block on it: a client run is still
# served, a worker killed with -9 is reaped (no zombie) and respawned, and
# SIGTERM stops the server within 10 s.
# The port cannot be read from stdout here: the test picks a free one and
# polls it. The process holding the pipe (a sleep that never reads) is
# killed by its pid at the end.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ops-lib.sh"
. "$(dirname "$0")/share-lib.sh"

READER=
kill_reader() { [ -n "$READER" ] && kill -KILL "$READER" 2>/dev/null; wait "$READER" 2>/dev/null; READER=; }
trap '_rc=$?; kill_reader; (exit $_rc); cleanup' EXIT

# free_port: a loopback TCP port nothing listens on.
free_port() {
	local p i
	for ((i = 0; i < 50; i++)); do
		p=$((20000 + RANDOM % 40000))
		[ -z "$(ss -Htln "sport = :$p" 2>/dev/null)" ] && { echo "$p"; return 0; }
	done
	return 1
}

# greeted: a connection gets the greeting.
greeted() {
	local fd line
	{ exec {fd}<>"/dev/tcp/$HOST/$PORT"; } 2>/dev/null || return 1
	IFS= read -r -t 2 line <&"$fd"
	exec {fd}>&-
	[[ $line == FT/1\ * ]]
}

# pipe_bytes FIFO: the bytes waiting in it (FIONREAD), without reading.
pipe_bytes() {
	perl -MFcntl -e 'sysopen(my $f, $ARGV[0], O_RDONLY | O_NONBLOCK) or die "$!\n";
	    my $n = pack("L", 0); ioctl($f, 0x541B, $n) or die "$!\n"; print unpack("L", $n), "\n"' "$1"
}

# pipe_full FIFO: a write of one page (atomic: all or nothing) would
# block.
pipe_full() {
	perl -MFcntl -MPOSIX=EAGAIN -e 'sysopen(my $f, $ARGV[0], O_WRONLY | O_NONBLOCK) or exit 2;
	    my $n = syswrite($f, "x" x 4096); exit(!defined $n && $! == EAGAIN ? 0 : 1)' "$1"
}

# state PID: the process state letter (Z for a zombie), "gone" without one.
state() { awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null || echo gone; }

PORT=$(free_port) || bail "no free port"
mkfifo "$T/out.fifo"
# The reader opens the FIFO and never reads from it.
sleep 600 <"$T/out.fifo" &
READER=$!
SERVER_N=1
SERVER_OUT=$T/out.fifo
SERVER_ERR=$T/out.fifo
SLOGS=$T/server1-logs
(exec "$SERVER_BIN" -p 25 -P "$PORT" -b "$HOST" -d "$CAT" -L "$SLOGS" --pidfile "$T/server.pid") \
    >"$T/out.fifo" 2>&1 &
SERVER_PID=$!
ok "the server (stdout and stderr a pipe nobody reads) accepts connections on port $PORT" wait_for 10 greeted
ok "its pidfile names it" wait_for 5 eval '[ "$(cat "$T/server.pid" 2>/dev/null)" = "$SERVER_PID" ]'
ok "25 workers" wait_for 5 eval '[ "$(nworkers)" = 25 ]'

# Fill the pipe: 300 dumps, a little apart so that signals do not merge.
for ((i = 0; i < 300; i++)); do
	kill -USR1 "$SERVER_PID" 2>/dev/null || break
	sleep 0.01
done
sleep 1
bytes=$(pipe_bytes "$T/out.fifo")
diag "after 300 USR1: ${bytes:-?} bytes unread in the pipe"
ok "the pipe is full (${bytes:-?} bytes unread; a 4 KiB write would block)" pipe_full "$T/out.fifo"
ok "the master is alive" alive "$SERVER_PID"

# A client run, bounded (-t 30, and timeout(1) in run_client).
t0=$(now_ms)
client full-pipe -c 2 -y -f odd.bin -o "$T/full-pipe-out" -L "$T/full-pipe-logs"
is "$CLIENT_RC" 0 "with the pipe full, ftclient -c 2 exits 0 (after $(($(now_ms) - t0)) ms)"
[ "$CLIENT_RC" = 0 ] || grep -h 'fail' "$T/full-pipe.out" | head -3 | sed 's/^/    /' >&2
check_received "$T/full-pipe-out" 2 odd.bin
tsv_there() { ls "$SLOGS"/*.tsv >/dev/null 2>&1; }
ok "the master still writes the test's log" wait_for 10 tsv_there

# kill -9 of a worker: reaped and respawned.
before=$(workers)
victim=$(worker_titled " idle$")
ok "an idle worker to kill ($victim)" test -n "$victim"
kill -KILL "$victim"
respawned() { [ "$(nworkers)" = 25 ] && ! pgrep -P "$SERVER_PID" | grep -qx "$victim"; }
ok "the killed worker is replaced by a new one within 5 s" wait_for 5 respawned
ok "the killed worker ($victim) is reaped: no zombie left (state $(state "$victim"))" \
    wait_for 2 eval '[ "$(state "$victim")" = gone ]'
new=$(comm -13 <(echo "$before" | tr ' ' '\n' | sort) <(workers | tr ' ' '\n' | sort) | grep . | tr '\n' ' ')
diag "the killed worker $victim is now '$(state "$victim")'; new workers: ${new:-none}"
transfer_ok after-kill 2 64k.bin

# SIGTERM: the server stops within 10 s.
workers_before=$(workers)
kill -TERM "$SERVER_PID"
t0=$(now_ms)
if wait_for 10 gone "$SERVER_PID"; then
	wait "$SERVER_PID" 2>/dev/null
	rc=$?
	pass "SIGTERM stops the server within 10 s ($(($(now_ms) - t0)) ms)"
	is "$rc" 0 "...with exit status 0"
	SERVER_PID=
	left=
	for p in $workers_before; do wait_for 5 gone "$p" || left+=" $p"; done
	is "${left# }" "" "...and no worker left"
	for p in $left; do kill -KILL "$p" 2>/dev/null; done
else
	fail "SIGTERM stops the server within 10 s (state $(state "$SERVER_PID"))"
	fail "...with exit status 0"
	fail "...and no worker left"
	# cleanup (kill_server) ends it: TERM, then KILL and its workers by pid.
fi
kill_reader
done_testing
