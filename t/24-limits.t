#!/bin/bash
# 24-limits.t: a group larger than the worker pool, a server that is not
# there, and misuse of either program (exit 2 with the usage).
. "$(dirname "$0")/lib.sh"

# ftclient -c 5 against 3 workers: refused at once, with the reason.
start_server -p 3
client toolarge -c 5 -y -f 64k.bin -o "$T/toolarge-out" -L "$T/toolarge-logs"
is "$CLIENT_RC" 1 "5 connections against 3 workers: exit 1"
file_like "$T/toolarge.out" 'the server has 3 workers: a test of 5 connections can never start there' \
    "...saying the test exceeds the workers (from the greeting)"
is "$(ls -A "$T/toolarge-out" 2>/dev/null)" "" "...and leaving no file"
transfer_ok as-many-as-workers 3 odd.bin
stop_server

# The same port, now closed: nobody listens.
client noserver -c 2 -y -f 64k.bin -o "$T/noserver-out" -L "$T/noserver-logs"
is "$CLIENT_RC" 1 "no server: exit 1"
file_like "$T/noserver.out" "cannot connect to $HOST port $PORT: Connection refused" \
    "...saying it cannot connect, and why"
is "$(ls -A "$T/noserver-out" 2>/dev/null)" "" "...and leaving no file"

# misuse PROGRAM DESC ARGS...: exit 2 and a usage message.
misuse() {
	local bin=$1 desc=$2 out=$T/misuse.out
	shift 2
	timeout -k 5 20 "$bin" "$@" >"$out" 2>&1
	is "$?" 2 "$(basename "$bin") $desc: exit 2"
	file_like "$out" '^usage: ' "$(basename "$bin") $desc: prints the usage"
}

C=$CLIENT_BIN
misuse "$C" "without -c" -y -P 1
misuse "$C" "-c 0" -c 0 -y
misuse "$C" "-c 1025" -c 1025 -y
misuse "$C" "-c two" -c two -y
misuse "$C" "-P 0" -c 1 -P 0
misuse "$C" "-P 65536" -c 1 -P 65536
misuse "$C" "-P http" -c 1 -P http
misuse "$C" "-t 0" -c 1 -t 0
misuse "$C" "--bogus" -c 1 --bogus
misuse "$C" "with a stray argument" -c 1 stray
misuse "$C" "-f ../x" -c 1 -f ../x

S=$SERVER_BIN
misuse "$S" "-p 0" -p 0 -P 0
misuse "$S" "-p 129" -p 129 -P 0
misuse "$S" "-P 65536" -P 65536
misuse "$S" "-n many" -n many -P 0
misuse "$S" "-m fast" -m fast -P 0
misuse "$S" "--bogus" --bogus
misuse "$S" "with a stray argument" -P 0 stray

# Configuration that cannot work: a clear message, and no server left.
timeout -k 5 20 "$S" -P 0 -b "$HOST" -d "$T/no-such-folder" -L "$T/x-logs" >"$T/nodir.out" 2>&1
rc=$?
ok "a missing catalogue folder: exit non-zero ($rc)" test "$rc" -ne 0 -a "$rc" -ne 124
file_like "$T/nodir.out" "no-such-folder" "...naming the folder"
timeout -k 5 20 "$S" -P 0 -b "$HOST" -d "$CAT" -L "$T/x-logs" -f nosuch.bin >"$T/nofile.out" 2>&1
rc=$?
ok "-f with a file not in the catalogue: exit non-zero ($rc)" test "$rc" -ne 0 -a "$rc" -ne 124
file_like "$T/nofile.out" "nosuch\.bin is not in the catalogue" "...saying so"
done_testing
