#!/bin/bash
# 39-interrupt-early.t: Ctrl-C before the transfer starts is acted on at
# once, whatever the connections are doing: stuck in connect(2) (a
# firewall drops the SYNs), or about to get through when the path opens
# after the Ctrl-C. The run starts nothing, writes its log and summary and
# exits 128 + the signal within a couple of seconds; without --yes it never
# asks for the go after the Ctrl-C. A second signal, even a different one,
# ends it at once (no summary).
# Runs in a network namespace of its own (unshare -n, as root) so that
# nftables can drop SYNs on a private loopback.
if [ -z "${FT_IN_NETNS:-}" ]; then
	if [ "$(id -u)" = 0 ] && command -v nft >/dev/null &&
	    unshare -n true 2>/dev/null; then
		FT_IN_NETNS=1 exec unshare -n "$0" "$@"
	fi
	echo "1..0 # SKIP needs root, unshare -n and nft(8)"
	exit 0
fi
. "$(dirname "$0")/lib.sh"

ip link set lo up || bail "no loopback in the namespace"

# The ftclient under client_bg's timeout(1).
client_pid() { pgrep -P "${BG[$1]}" | head -1; }

# drop_syns PORT: a firewall that lets no new connection reach PORT.
drop_syns() {
	nft -f - <<-EOF || bail "nft cannot load a ruleset here"
	table inet ft39 {
		chain in {
			type filter hook input priority 0;
			tcp dport $1 tcp flags & (syn | ack) == syn drop
		}
	}
	EOF
}
open_path() { nft delete table inet ft39; }

# interrupt NAME AFTER [OPEN]: SIGINT to client NAME AFTER seconds in;
# with OPEN, the path opens OPEN seconds after the Ctrl-C. Waits (15 s at
# most) for the client to end: CLIENT_RC, and TOOK (s after the Ctrl-C).
interrupt() {
	local pid t0
	sleep "$2"
	pid=$(client_pid "$1")
	t0=$(date +%s%N)
	kill -INT "$pid"
	if [ -n "${3:-}" ]; then
		(sleep "$3"; open_path) &
		BG[open]=$!
	fi
	wait_for 15 gone "$pid"
	TOOK=$((($(date +%s%N) - t0) / 1000000))
	alive "$pid" && kill -KILL "$pid"
	client_wait "$1"
	if [ -n "${3:-}" ]; then
		wait "${BG[open]}"
		unset 'BG[open]'
	fi
}

# said_interrupted NAME: the summary, the log, each row "interrupted".
said_interrupted() {
	local tsv
	file_like "$T/$1.out" '^log: ' "$1: the summary is printed, with its log"
	tsv=$(ls "$T/$1-logs"/*-log*.tsv 2>/dev/null | head -1)
	like "$([ -n "$tsv" ] && tsv_col "$tsv" reason | sort -u | tr '\n' ' ')" \
	    '^interrupted( after 0 bytes)? $' "$1: each connection logged as interrupted"
	is "$(ls -A "$T/$1-out" 2>/dev/null)" "" "$1: nothing in the output folder"
}

# No server will ever answer: every SYN is dropped.
drop_syns 5999
PORT=5999
client_bg nosyn -c 2 -y -o "$T/nosyn-out" -L "$T/nosyn-logs"
interrupt nosyn 1
is "$CLIENT_RC" 130 "SYNs dropped, Ctrl-C while connecting: exit 130"
ok "...within 3 s (took $TOOK ms)" test "$TOOK" -le 3000
said_interrupted nosyn
open_path

# A server behind a path that opens 2.5 s after the Ctrl-C (after the
# 2 s the run gives stuck threads), before the connect's SYN is sent again
# (3 and 7 s in), with --yes and with the prompt (stdin stays open: nobody
# presses Enter).
start_server -p 4
mkfifo "$T/stdin"
exec {HOLD}<>"$T/stdin"
for mode in yes prompt; do
	drop_syns "$PORT"
	args=-y
	[ $mode = prompt ] && args=
	client_bg late$mode -c 2 $args -f odd.bin -o "$T/late$mode-out" \
	    -L "$T/late$mode-logs" <"$T/stdin"
	interrupt late$mode 1 2.5
	is "$CLIENT_RC" 130 "$mode: Ctrl-C while connecting, the path opens after: exit 130"
	ok "...within 3 s (took $TOOK ms)" test "$TOOK" -le 3000
	said_interrupted late$mode
	ok "...no prompt after the Ctrl-C" eval "! grep -q 'Press Enter' '$T/late$mode.out'"
	sleep 1		# what a straggler would have published by now
	is "$(ls -A "$T/late$mode-out" 2>/dev/null)" "" "...nor later"
	nft list table inet ft39 >/dev/null 2>&1 && open_path
done
exec {HOLD}>&-
# The server logged no test: no connection got through after the Ctrl-C.
is "$(server_logs_count)" 0 "the server saw no test"
LOGS_NEED_NOT_PAIR="no connection reached the server: it logs no test" stop_server

# A second signal, even another one, ends the run at once: INT and TERM
# arrive together while the client is stopped (no graceful end between).
# Eight connections, five rounds: with the signals open in every thread,
# the two could run the handler in two threads at once, neither ending
# the run (4 to 14 runs in 20 printed their summary).
drop_syns 5999
PORT=5999
summaries=0 logs=0 leftovers=0 rcs=""
for round in 1 2 3 4 5; do
	client_bg twice$round -c 8 -y -o "$T/twice$round-out" -L "$T/twice$round-logs"
	sleep 0.5
	pid=$(client_pid twice$round)
	kill -STOP "$pid"
	kill -INT "$pid"
	kill -TERM "$pid"
	kill -CONT "$pid"
	wait_for 5 gone "$pid"
	alive "$pid" && kill -KILL "$pid"
	client_wait twice$round
	rcs="$rcs$CLIENT_RC "
	grep -q '^log: ' "$T/twice$round.out" && summaries=$((summaries + 1))
	[ -n "$(ls -A "$T/twice$round-logs" 2>/dev/null)" ] && logs=$((logs + 1))
	[ -n "$(ls -A "$T/twice$round-out" 2>/dev/null)" ] && leftovers=$((leftovers + 1))
done
like "$rcs" '^((130|143) ){5}$' "INT then TERM, 5 rounds of 8 connections: each ends by a signal ($rcs)"
is "$summaries" 0 "...at once: no summary in any round"
is "$logs" 0 "...no log"
is "$leftovers" 0 "...nothing in the output folder"
open_path
done_testing
