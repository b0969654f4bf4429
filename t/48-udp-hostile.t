#!/bin/bash
# 48-udp-hostile.t: hostile UDP receivers (t/udp-peer.pl client), one for
# each abuse seen in issue 9, each with a figure asserted:
# - greedy (case 2): rcvbuf=4294967295, and every report asks for
#   everything sent, claiming nothing arrived. Old servers sent 22.5 GB
#   for a 20 MB file. Now the repair budget ends it: at most 3 times the
#   file's datagrams sent, ERR to the client, ok=no in the log.
# - costly (case 4): the same with 144 ranges per report, a report per
#   datagram and per millisecond of silence. Old servers spent 4.9 ms of
#   CPU per report, walking every range; the worker's CPU per report is
#   bounded here (1 ms, counting the sending too).
# - forged (case 3): reports that nothing arrived (rx_count 0), from
#   another port without the secret and from ours with a wrong secret.
#   Old servers were unpaced by one and then ignored every genuine
#   report. Now both are counted as bad and the transfer ends ok, each
#   datagram sent once.
# - early DONE (case 5): READY and DONE <size> <offered hash> in one
#   write. Old servers answered BYE ok and logged ok=yes. Now: BYE
#   mismatch, ok=no, the reason says what was sent.
# - someone else's port (case 6): READY names a socket that is not the
#   client's. Old servers sent it a window and a FIN every 20 ms until the
#   timeout. Now it gets nothing, with or without a hello from the
#   client's real socket.
# - slow (the deadline): progress that never stops still ends at
#   --transfer-timeout; reports cannot extend it.
# - a served file that shrinks mid-transfer: the transfer fails with the
#   reason, the worker lives.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/udp-lib.sh"

head -c 20000000 /dev/urandom >"$CAT/20m.bin"
D=1200
TOTAL20=$(( (20000000 + D - 1) / D ))

# row_of K COLS...: fields of the Kth test's (only) server row.
row_of() {
	local k=$1 tsv c out=
	shift
	wait_server_logs "$k" || return 1
	tsv=$(server_log "$k")
	tsv=${tsv%.txt}.tsv
	for c in "$@"; do out+="$(tsv_col "$tsv" "$c") "; done
	echo "${out% }"
}

# cpu_ticks PID: user + system clock ticks so far.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

start_udp_server -p 1 -m reliable -s "$D" --io-timeout 5

# --- Case 2: greedy, one range per report.
t0=$SECONDS
peer client "$HOST" "$PORT" 20m.bin "$T/unused" greedy=1 rcvbuf=4294967295 deadline=40
like "$(peer_value "$PEER_OUT" control)" '^ERR 408 the repair budget is spent' \
    "greedy: the server ends it on the repair budget ($(peer_value "$PEER_OUT" control))"
ok "greedy: within 15 s ($((SECONDS - t0)) s)" test $((SECONDS - t0)) -le 15
t0=$SECONDS
read -r okv sent resent reason <<<"$(row_of 1 ok datagrams datagrams_resent reason)"
is "$okv" no "greedy: ok=no"
ok "greedy: at most 3 x the file's $TOTAL20 datagrams sent ($sent, $resent of them repairs)" \
    test "${sent:-999999999}" -le $((3 * TOTAL20 + 16))

# --- Case 4: costly, 144 ranges per report, as fast as it can.
worker=$(pgrep -P "$SERVER_PID" | head -1)
before=$(cpu_ticks "$worker")
peer client "$HOST" "$PORT" 20m.bin "$T/unused" greedy=144 rcvbuf=4294967295 deadline=40
after=$(cpu_ticks "$worker")
ok "costly: within 15 s ($((SECONDS - t0)) s)" test $((SECONDS - t0)) -le 15
reports=$(peer_value "$PEER_OUT" reports)
# A slow receiver may keep it on the first datagrams until the stall
# limit (its count of datagrams received never grows) instead.
like "$(peer_value "$PEER_OUT" control)" '^ERR 408 (the repair budget is spent|the client stopped answering for 5 s)' \
    "costly: the server ends it on the repair budget or the stall limit ($(peer_value "$PEER_OUT" control))"
hz=$(getconf CLK_TCK)
us=$(awk -v t=$((after - before)) -v hz="$hz" -v n="${reports:-0}" \
    'BEGIN { printf "%d", n ? t / hz * 1e6 / n : 999999 }')
diag "costly: $reports reports of 144 ranges, worker CPU $((after - before)) ticks: $us us per report (old servers: 4900)"
ok "costly: the worker spends under 1 ms of CPU per report, sending included ($us us)" \
    test "$us" -lt 1000
read -r okv sent <<<"$(row_of 2 ok datagrams)"
is "$okv" no "costly: ok=no"
ok "costly: at most 3 x the file's datagrams sent ($sent)" \
    test "${sent:-999999999}" -le $((3 * TOTAL20 + 16))

# --- Case 3: forged reports that nothing arrived.
peer client "$HOST" "$PORT" odd.bin "$T/forged.bin" forge_report deadline=30
is "$(peer_value "$PEER_OUT" forged_reports)" 2 "forged: two forged reports sent"
is "$(peer_value "$PEER_OUT" bye)" "BYE ok" "forged: the transfer ends BYE ok"
ok "forged: the copy is byte-identical" cmp -s "$CAT/odd.bin" "$T/forged.bin"
read -r okv sent resent bad <<<"$(row_of 3 ok datagrams datagrams_resent datagrams_bad)"
is "$okv $sent $resent" "yes $(( (1000003 + D - 1) / D )) 0" \
    "forged: ok, each datagram sent once, none re-sent"
ok "forged: both forged reports counted as bad ($bad)" test "${bad:-0}" -ge 2

# --- Case 5: DONE before any data.
peer client "$HOST" "$PORT" odd.bin "$T/unused" early_done
is "$(printf '%s\n' "$PEER_OUT" | sed -n 's/^line //p' | sed 's/ start=.*//')" \
    "$(printf 'DATA 1000003\nBYE mismatch')" "early DONE: DATA, then BYE mismatch"
read -r okv bytes <<<"$(row_of 4 ok bytes)"
is "$okv $bytes" "no 0" "early DONE: ok=no, 0 bytes sent"
tsv=$(server_log 4)
like "$(tsv_col "${tsv%.txt}.tsv" reason)" '^the client confirmed after 0 of 1000003 bytes were sent' \
    "early DONE: the reason says what was sent"

# --- Case 6: READY names someone else's port.
peer_bg sink1 sink 6
wait_for 10 grep -qs '^port ' "$T/sink1.out"
sink=$(sed -n 's/^port //p' "$T/sink1.out")
peer client "$HOST" "$PORT" odd.bin "$T/reflect.bin" port="$sink" deadline=30
is "$(peer_value "$PEER_OUT" bye)" "BYE ok" "another's port, with a hello: the data comes to the hello's socket"
ok "...the copy is byte-identical" cmp -s "$CAT/odd.bin" "$T/reflect.bin"
peer client "$HOST" "$PORT" odd.bin "$T/unused" port="$sink" nohello deadline=12
like "$(peer_value "$PEER_OUT" control)" '^ERR 408 no UDP hello from the client within 5 s' \
    "another's port, no hello: the server gives up after --io-timeout, saying why"
wait "${BG[sink1]}"
unset 'BG[sink1]'
is "$(sed -n 's/^received //p' "$T/sink1.out")" 0 "...the other port received nothing (old servers: a window and a FIN every 20 ms)"
read -r okv bytes <<<"$(row_of 6 ok bytes)"
is "$okv $bytes" "no 0" "...ok=no, 0 bytes sent"
stop_server

# --- The deadline: a receiver that keeps making progress, slowly.
start_udp_server -p 1 -m reliable -s "$D" --io-timeout 5 --transfer-timeout 3
t0=$SECONDS
peer client "$HOST" "$PORT" odd.bin "$T/unused" slow=5 deadline=30
like "$(peer_value "$PEER_OUT" control)" '^ERR 408 the transfer did not end within 3 s' \
    "slow: ends at --transfer-timeout 3 ($(peer_value "$PEER_OUT" control))"
ok "slow: within 6 s ($((SECONDS - t0)) s)" test $((SECONDS - t0)) -le 6
stop_server

# --- A served file that shrinks during a transfer: the server sends
# from a mapping of it, which the kernel reads; the pages gone make the
# send fail (EFAULT), not kill the worker (SIGBUS).
cp "$CAT/3m.bin" "$CAT/shrink.bin"
start_udp_server -p 1 -m reliable -s "$D" --io-timeout 5
peer_bg shrink client "$HOST" "$PORT" shrink.bin "$T/unused" slow=2 deadline=30
sleep 1
truncate -s 100000 "$CAT/shrink.bin"
wait "${BG[shrink]}"
unset 'BG[shrink]'
like "$(sed -n 's/^control //p' "$T/shrink.out")" '^ERR 408 sending: the file shrank while it was sent' \
    "shrink: the transfer fails, saying the file shrank"
ok "shrink: the worker was not killed" eval '! grep -q "killed by signal" "$SERVER_ERR"'
read -r okv <<<"$(row_of 1 ok)"
is "$okv" no "shrink: ok=no"
stop_server
done_testing
