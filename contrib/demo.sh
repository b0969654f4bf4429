#!/usr/bin/env bash
# demo.sh: what `make demo` shows (run after `make all files`, from any
# folder): a real ftserver with 25 workers on a free port, a 10-connection
# ftclient run of 250MB.bin against it, where the received files and both
# logs went, the client log, the server's SIGUSR1 stats dump, and a
# graceful SIGTERM stop. Everything lands in the repo's default folders:
# files/ (catalogue), Logs/ (logs), ArchivosRecibidos/ (received files).
#
# Each protocol is one call of run_test: TCP, then UDP. A server built
# without UDP (before issue 3) refuses -u: a note says so instead of a
# fake run.
#
# Environment: FT_DEMO_CLIENTS (10), FT_DEMO_FILE (250MB.bin).
set -euo pipefail

cd "$(dirname "$0")/.."
# shellcheck source=contrib/stop.sh
. contrib/stop.sh
SERVER=server/ftserver
CLIENT=client/ftclient
CLIENTS=${FT_DEMO_CLIENTS:-10}
FILE=${FT_DEMO_FILE:-250MB.bin}
WORKERS=25
START_WAIT_S=10		# for the server's "listening on" line
CLIENT_LIMIT_S=300	# the whole client run, at most
STOP_WAIT_S=15		# after SIGTERM, before a second TERM then KILL

server_pid=""
server_out=""
shown=0			# lines of server output already printed
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ft-demo.XXXXXX")

say() { printf '\n== %s\n' "$*"; }

# Prints the server's output that was not shown yet, indented.
show_server_output() {
	local total
	[[ -n $server_out && -f $server_out ]] || return 0
	total=$(wc -l <"$server_out")
	if ((total > shown)); then
		sed -n "$((shown + 1)),${total}s/^/   | /p" "$server_out"
		shown=$total
	fi
}

# Waits until pattern appears in the server's output or seconds pass.
wait_for_output() {
	local pattern=$1 seconds=$2 i
	for ((i = 0; i < seconds * 10; i++)); do
		grep -q -- "$pattern" "$server_out" 2>/dev/null && return 0
		[[ -n $server_pid ]] && ! kill -0 "$server_pid" 2>/dev/null &&
		    return 1
		sleep 0.1
	done
	return 1
}


# Stops the server (see contrib/stop.sh); its exit status.
stop_server() {
	local pid=$server_pid
	[[ -n $pid ]] || return 0
	server_pid=""
	stop_pid "$pid" "$STOP_WAIT_S"
}

# shellcheck disable=SC2317  # reached through the traps below
cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	if [[ -n $server_pid ]]; then
		echo "demo: stopping the server (pid $server_pid)" >&2
		stop_server || true
		show_server_output
	fi
	rm -rf "$tmp"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Starts the server for proto; sets server_pid and port. Returns 2 when
# the server refuses the protocol, 1 on any other failure.
start_server() {
	local proto=$1 args=(-p "$WORKERS" -P 0)
	[[ $proto == udp ]] && args+=(-u)
	server_out="$tmp/server-$proto.out"
	shown=0
	say "starting: $SERVER ${args[*]}"
	# stdin from /dev/null: the operator console stays off, so the
	# terminal belongs to the client.
	"$SERVER" "${args[@]}" </dev/null >"$server_out" 2>&1 &
	server_pid=$!
	if ! wait_for_output 'listening on' "$START_WAIT_S"; then
		stop_server || true
		show_server_output
		if [[ $proto == udp ]] && grep -qi 'udp.*not available' "$server_out"; then
			return 2
		fi
		echo "demo: the server did not start" >&2
		return 1
	fi
	port=$(sed -n 's/.*listening on [^ ]*:\([0-9][0-9]*\) .*/\1/p' \
	    "$server_out" | head -n 1)
	show_server_output
	if [[ -z $port ]]; then
		echo "demo: cannot read the port from the server's output" >&2
		return 1
	fi
	echo "   server pid $server_pid, port $port"
}

# The newest file in Logs/ matching pattern and newer than marker.
newest_log() {
	local pattern=$1 marker=$2
	find Logs -maxdepth 1 -type f -name "$pattern" -newer "$marker" \
	    -printf '%T@ %p\n' 2>/dev/null | sort -n | tail -n 1 | cut -d' ' -f2-
}

run_test() {
	local proto=$1 rc=0 marker="$tmp/start-$1" client_log server_log
	local args=(--clients "$CLIENTS" --yes -P)
	touch "$marker"
	start_server "$proto" || rc=$?
	if ((rc == 2)); then
		say "UDP: this ftserver refuses -u; UDP transfers come with issue 3"
		return 0
	fi
	((rc == 0)) || return 1

	args+=("$port" -f "$FILE")
	[[ $proto == udp ]] && args+=(-u)
	say "running: $CLIENT ${args[*]}"
	# --foreground: the client keeps the terminal (its live table, Ctrl-C).
	timeout --foreground -k 5 "$CLIENT_LIMIT_S" "$CLIENT" "${args[@]}" ||
	    rc=$?
	if ((rc != 0)); then
		echo "demo: ftclient exited with status $rc" >&2
	fi
	# 128+N: the client died of signal N (Ctrl-C gives 130): stop here,
	# through the EXIT trap, which stops the server.
	((rc < 128)) || exit "$rc"

	# The master writes the server log once every member has finished.
	wait_for_output 'test done' 10 || true
	say "server output"
	show_server_output

	say "where things are"
	echo "   catalogue:      files/$FILE"
	echo "   received files: ArchivosRecibidos/ (this test's:)"
	find ArchivosRecibidos -maxdepth 1 -type f -name "Cliente*-Prueba-$CLIENTS.txt" \
	    -newer "$marker" -printf '%f %s bytes\n' 2>/dev/null | sort -V |
	    sed 's/^/     /'
	client_log=$(newest_log "*-client-$proto-log*.txt" "$marker")
	server_log=$(newest_log "*-server-$proto-log*.txt" "$marker")
	echo "   client log:     ${client_log:-none} (and .tsv beside it)"
	echo "   server log:     ${server_log:-none} (and .tsv beside it)"
	if [[ -n $client_log ]]; then
		say "client log: $client_log"
		cat "$client_log"
	fi

	say "kill -USR1 $server_pid (the server's stats dump)"
	if kill -USR1 "$server_pid" 2>/dev/null; then
		wait_for_output '^totals:' 5 || true
	else
		echo "   the server is gone" >&2
	fi
	show_server_output

	say "kill -TERM $server_pid (graceful stop)"
	local status=0
	stop_server || status=$?
	show_server_output
	echo "   the server exited with status $status"
	((status == 0)) || rc=1
	return "$rc"
}

for f in "$SERVER" "$CLIENT"; do
	[[ -x $f ]] || { echo "demo: $f is missing: run 'make all'" >&2; exit 1; }
done
[[ -f files/$FILE ]] ||
    { echo "demo: files/$FILE is missing: run 'make files'" >&2; exit 1; }
mkdir -p Logs ArchivosRecibidos

status=0
run_test tcp || status=1
run_test udp || status=1
say "demo $( ((status == 0)) && echo finished || echo FAILED)"
exit "$status"
