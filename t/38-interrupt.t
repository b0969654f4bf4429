#!/bin/bash
# 38-interrupt.t: a run that is interrupted or cannot write its log still
# tells the truth.
# - SIGINT (Ctrl-C) in the middle of a transfer: the client writes its log
#   (each connection "interrupted after N bytes") and the summary, leaves
#   no file in the output folder, and exits 130 (SIGTERM: 143).
# - With --keep-failed, the copy kept is the bytes received (not the
#   space reserved), and the summary names it.
# - A logs folder that is full (a 64 KiB tmpfs, as root): the log failure
#   is said once, no empty log file is left, and a run whose copies all
#   verified still exits 0.
# - An absurd -L (a path too long for any log name) is refused at start
#   (exit 2), by both programs.
. "$(dirname "$0")/lib.sh"


# The ftclient under client_bg's timeout(1).
client_pid() { pgrep -P "${BG[$1]}" | head -1; }

for sig in INT TERM; do
	want=$([ $sig = INT ] && echo 130 || echo 143)
	fake stall
	client_bg sig$sig -c 2 -y -o "$T/sig$sig-out" -L "$T/sig$sig-logs"
	wait_for 10 grep -q 'receiving' "$T/sig$sig.out"
	sleep 0.3
	pid=$(client_pid sig$sig)
	t0=$SECONDS
	kill -$sig "$pid"
	client_wait sig$sig
	is "$CLIENT_RC" "$want" "SIG$sig mid-transfer: exit $want"
	ok "...within 5 s" test $((SECONDS - t0)) -le 5
	file_like "$T/sig$sig.out" '^log: ' "...the summary is printed, with its log"
	tsv=$(ls "$T/sig$sig-logs"/*-log*.tsv 2>/dev/null | head -1)
	ok "...the log is written" test -n "$tsv"
	like "$(tsv_col "$tsv" reason | sort -u | tr '\n' ' ')" '^interrupted after [0-9]+ bytes $' \
	    "...each connection: interrupted after N bytes"
	ok "...with the bytes it had (some, not all)" \
	    eval '[ "$(tsv_col "$tsv" bytes | sort -n | tail -1)" -gt 0 ] && [ "$(tsv_col "$tsv" bytes | sort -n | tail -1)" -lt 1048576 ]'
	is "$(ls -A "$T/sig$sig-out" 2>/dev/null)" "" "...nothing left in the output folder"
	unfake
done

# --keep-failed and Ctrl-C over TCP: what is kept is what arrived (the
# fake server sends half of 1 MiB), not the reservation's full size with
# zeros after it; the summary says where it is.
fake stall
client_bg keep -c 1 -y --keep-failed -o "$T/keep-out" -L "$T/keep-logs"
wait_for 10 grep -q 'receiving' "$T/keep.out"
sleep 0.3
kill -INT "$(client_pid keep)"
client_wait keep
kept=$T/keep-out/Cliente1-Prueba-1-failed.txt
is "$CLIENT_RC" 130 "--keep-failed, Ctrl-C mid-transfer: exit 130"
is "$(size_of "$kept" 2>/dev/null)" 524288 "...the copy kept holds the 524288 bytes received, no more"
ok "...which are the server's" eval 'head -c 524288 /dev/zero | tr "\\0" z | cmp -s - "$kept"'
file_like "$T/keep.out" "^ +1 .*interrupted after 524288 bytes; kept as $kept\$" \
    "...and the summary says where it is"
unfake

# A full logs folder.
if [ "$(id -u)" = 0 ] && mkdir -p "$T/tiny" && mount -t tmpfs -o size=64k tmpfs "$T/tiny" 2>/dev/null; then
	head -c 1048576 /dev/zero >"$T/tiny/filler" 2>/dev/null
	start_server -p 3
	client full -c 2 -y -f 64k.bin -o "$T/full-out" -L "$T/tiny/logs"
	is "$CLIENT_RC" 0 "a full logs folder: every copy verified, exit 0"
	is "$(grep -c 'cannot write the log' "$T/full.out")" 1 "...the log failure said once"
	file_like "$T/full.out" 'cannot write the log .*: No space left on device' "...with the reason"
	is "$(find "$T/tiny/logs" -type f -size 0 2>/dev/null | wc -l)" 0 "...and no empty log file is left"
	check_received "$T/full-out" 2 64k.bin
	stop_server
	umount "$T/tiny"
else
	skip 7 "needs root and a tmpfs mount for a full logs folder"
fi

# An absurd -L.
long=$T/$(printf 'l%.0s' {1..4090})
timeout 10 "$CLIENT_BIN" -c 1 -y -P 1 -L "$long" >"$T/longc.out" 2>&1
is "$?" 2 "ftclient with a -L too long for a log name: exit 2"
file_like "$T/longc.out" 'logs folder .*: too long' "...saying so"
timeout 10 "$SERVER_BIN" -P 0 -b "$HOST" -d "$CAT" -L "$long" >"$T/longs.out" 2>&1
is "$?" 2 "ftserver with such a -L: exit 2"
file_like "$T/longs.out" 'logs folder .*: too long' "...saying so"
done_testing
