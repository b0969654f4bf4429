#!/bin/bash
# 55-fatal-config.t: configuration that can never work ends the server at
# start with a clear message on stderr and exit status 3 (misuse is 2, a
# normal stop 0): a missing files folder, a files folder that is a file,
# a logs folder that cannot be one, -f naming a file not in the
# catalogue, a bad bind address, the TCP port in use, a worker's UDP port
# in use, a pidfile held by a running server. Nothing is left running
# (nor a pidfile, when the start fails), and the server that holds the
# port or the pidfile is not disturbed. An empty catalogue is not fatal:
# files can be added and rescanned.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ops-lib.sh"

# fatal DESC ERE ARGS...: ftserver ARGS exits 3 (bounded: a server that
# starts anyway is stopped after 3 s) and stderr matches ERE.
fatal() {
	local desc=$1 re=$2 out=$T/fatal.out rc
	shift 2
	timeout -k 2 3 "$SERVER_BIN" "$@" >"$out" 2>&1
	rc=$?
	if [ "$rc" = 124 ]; then
		fail "$desc: exit 3 (it started and ran until stopped)"
		sed 's/^/    /' "$out" | head -5 >&2
	else
		is "$rc" 3 "$desc: exit 3"
	fi
	file_like "$out" "$re" "$desc: says so"
	ok "$desc: does not say it listens" eval '! grep -q "listening on" "$out"'
}

B=(-b "$HOST" -L "$T/logs")
fatal "missing files folder" '^ftserver[^:]*: files folder .*/no-such-folder .*: No such file or directory$' \
    -P 0 "${B[@]}" -d "$T/no-such-folder"
fatal "files folder is a file" '^ftserver[^:]*: files folder .*/64k\.bin .*: Not a directory$' \
    -P 0 "${B[@]}" -d "$CAT/64k.bin"
fatal "logs folder under a file" '^ftserver[^:]*: logs folder .*/64k\.bin/logs: Not a directory$' \
    -P 0 -b "$HOST" -d "$CAT" -L "$CAT/64k.bin/logs"
# mkdir says EEXIST for a file as for a folder: the folder must be checked.
fatal "logs folder is a file" '^ftserver[^:]*: logs folder .*/odd\.bin.*: Not a directory$' \
    -P 0 -b "$HOST" -d "$CAT" -L "$CAT/odd.bin"
# With --pidfile, a failed start leaves no (empty, stale) pidfile.
fatal "missing files folder, with --pidfile" '^ftserver[^:]*: files folder .*/no-such-folder ' \
    -P 0 "${B[@]}" -d "$T/no-such-folder" --pidfile "$T/failed.pid"
ok "missing files folder, with --pidfile: no pidfile left behind" test ! -e "$T/failed.pid"
fatal "-f not in the catalogue" '^ftserver[^:]*: nosuch\.bin is not in the catalogue ' \
    -P 0 "${B[@]}" -d "$CAT" -f nosuch.bin
fatal "-f naming a path" '^ftserver[^:]*: \.\./64k\.bin is not in the catalogue ' \
    -P 0 "${B[@]}" -d "$CAT" -f ../64k.bin
fatal "bad bind address" '^ftserver[^:]*: bind address 999\.1\.1\.1: ' \
    -P 0 -b 999.1.1.1 -L "$T/logs" -d "$CAT"
fatal "bind address not on this machine" '^ftserver[^:]*: cannot listen on 192\.0\.2\.1 port 0: Cannot assign requested address$' \
    -P 0 -b 192.0.2.1 -L "$T/logs" -d "$CAT"

# The port in use, by a running server, which keeps serving.
start_server -p 2 --pidfile "$T/ft.pid"
fatal "TCP port in use" "^ftserver[^:]*: cannot listen on $HOST port $PORT: Address already in use\$" \
    -P "$PORT" "${B[@]}" -d "$CAT"
fatal "pidfile held by a running server" "^ftserver[^:]*: already running as pid $SERVER_PID \\(.*ft\\.pid\\)\$" \
    -P 0 "${B[@]}" -d "$CAT" --pidfile "$T/ft.pid"
is "$(cat "$T/ft.pid" 2>/dev/null)" "$SERVER_PID" "the pidfile still names the running server"
transfer_ok still-serving 2 odd.bin
stop_server
ok "the pidfile is removed at a normal stop" test ! -e "$T/ft.pid"

# A worker's UDP port in use: worker k owns PORT+k. A UDP server takes
# PORT+1..PORT+3; another on PORT+1 (free for TCP) needs PORT+2.. too.
start_server -u -p 3
fatal "UDP port in use" "^ftserver[^:]*: UDP ports $((PORT + 2))\\.\\.$((PORT + 3)) on $HOST: Address already in use\$" \
    -u -p 2 -P "$((PORT + 1))" "${B[@]}" -d "$CAT"
client udp-still -u -c 3 -y -f odd.bin -o "$T/udp-still-out" -L "$T/udp-still-logs"
is "$CLIENT_RC" 0 "the UDP server holding the ports still serves"
stop_server

# A worker whose setup can never work (simulated: FTSERVER_FAULT, read only
# by the workers) exits with the no-respawn code; the master stops with
# exit 3 rather than fork-storm, says why, and leaves nothing running.
(exec env FTSERVER_FAULT=worker-setup timeout -k 2 10 "$SERVER_BIN" -p 3 -P 0 \
    "${B[@]}" -d "$CAT" >"$T/wfatal.out" 2>&1)
is "$?" 3 "a worker's fatal setup: the server exits 3"
file_like "$T/wfatal.out" "worker [0-9]: error: worker_fatal: signal handling: this worker can never work; not to be respawned" \
    "...a worker says it can never work"
file_like "$T/wfatal.out" "master: error: .*a worker's setup can never work; stopping" \
    "...and the master that it stops"
ok "...without respawning the workers (at most 3 such deaths)" \
    test "$(grep -c 'can never work; not to be respawned' "$T/wfatal.out")" -le 3

# Misuse is 2, not 3.
timeout -k 2 5 "$SERVER_BIN" -p 0 -P 0 "${B[@]}" -d "$CAT" >"$T/misuse.out" 2>&1
is "$?" 2 "misuse (-p 0): exit 2, distinct from 3"

# An empty catalogue is no error: the server starts; GET gets 404 until
# a file is added and rescanned.
mkdir -p "$T/empty"
CAT=$T/empty start_server -p 2
like "$(head -1 "$SERVER_OUT")" 'sending nothing yet\)$' "empty catalogue: starts, sending nothing yet"
raw_open
raw_send "GET 64k.bin"
raw_read answer
raw_close
like "$answer" '^ERR 404 ' "empty catalogue: GET gets ERR 404"
cp "$CAT/64k.bin" "$T/empty/"
kill -HUP "$SERVER_PID"
ok "empty catalogue: HUP rescans (1 file)" wait_for 10 grep -q 'catalogue rescanned, 1 files' "$SERVER_ERR"
transfer_ok empty-then-added 2 64k.bin
stop_server
done_testing
